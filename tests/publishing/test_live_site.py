"""The deployed shape: `gazette serve` answers from the page store, and a running
`gazette worker` brings the store up to date when an article is published."""

import signal
import time
import urllib.error
import urllib.request

import pytest
from django.test import override_settings

from gazette.publishing.building import build_site
from tests.factories import make_article
from tests.workers import free_port, start_gazette


def fetch(url: str):
    request = urllib.request.Request(url, headers={"Accept-Encoding": "identity"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.headers, response.read().decode()


@pytest.fixture
def site(committed_newsroom):
    build_site()
    port = free_port()
    server = start_gazette("serve", "--port", str(port), "--workers", "1")
    worker = start_gazette("worker", "--no-clock")
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            fetch(base + "/")
            break
        except OSError:
            assert time.monotonic() < deadline, "gazette serve did not start"
            time.sleep(0.2)
    yield base
    for process in (server, worker):
        process.send_signal(signal.SIGINT)
    for process in (server, worker):
        process.communicate(timeout=30)


def test_uploaded_documents_are_not_served_as_files_of_our_origin(site, settings):
    documents = settings.MEDIA_ROOT / "documents"
    documents.mkdir(parents=True, exist_ok=True)
    (documents / "evil.html").write_text("<script>alert(document.cookie)</script>")
    with pytest.raises(urllib.error.HTTPError) as error:
        fetch(site + "/media/documents/evil.html")
    assert error.value.code == 404


def test_served_from_the_store_and_updated_by_the_worker(committed_newsroom, site):
    headers, _ = fetch(site + "/")
    assert headers["ETag"] and "s-maxage" in headers["Cache-Control"]
    assert headers.get("Set-Cookie") is None

    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        published_at = time.monotonic()
        make_article(
            committed_newsroom["news"],
            "Border crossing reopens",
            authors=[committed_newsroom["authors"]["anna"]],
            tags=["Courts"],
            hours_ago=0,
        )
    paths = ["/", "/news/", "/tags/courts/", "/news/border-crossing-reopens/"]
    waiting = set(paths)
    while waiting and time.monotonic() - published_at < 30:
        for path in sorted(waiting):
            try:
                if "Border crossing reopens" in fetch(site + path)[1]:
                    waiting.discard(path)
            except urllib.error.HTTPError:  # the article's own page is not there yet
                pass
        time.sleep(0.05)
    waited = time.monotonic() - published_at
    assert not waiting, f"not updated after {waited:.1f} s: {sorted(waiting)}"
    print(f"home, section, tag and article pages updated {waited:.2f} s after publishing")  # noqa: T201
