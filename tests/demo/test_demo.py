"""The demo newsroom: its content loads and renders, and `gazette demo` serves it with its
worker and stops both cleanly."""

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from http.cookiejar import CookieJar

import pytest
from django.test import Client

from gazette.demo.loader import load_demo
from gazette.newsletters.models import Newsletter
from gazette.newsroom.models import (
    ArticleKind,
    ArticlePage,
    Author,
    NewsroomSettings,
    SectionPage,
    StandardPage,
)
from gazette.support.models import SupportPage
from tests.workers import ROOT, free_port


@pytest.mark.django_db
def test_demo_content_loads_and_every_page_renders_without_cookies():
    load_demo()
    articles = ArticlePage.objects.published()
    assert articles.count() >= 40
    sections = {section.slug: section for section in SectionPage.objects.live()}
    assert set(sections) == {"news", "business", "opinion", "features", "analysis"}
    for section in sections.values():
        assert ArticlePage.objects.published().child_of(section).exists(), section.slug
    assert set(articles.values_list("kind", flat=True)) == set(ArticleKind.values)
    assert Author.objects.filter(is_organisation=True).exists()
    assert set(StandardPage.objects.live().values_list("slug", flat=True)) >= {"about", "privacy"}
    support = SupportPage.objects.live().get(slug="support")
    assert NewsroomSettings.objects.get().support_page_id == support.pk
    newsletters = Newsletter.objects.order_by("slug").values_list("slug", "kind")
    assert list(newsletters) == [("breaking", "breaking"), ("weekly", "weekly")]
    client = Client()
    paths = ["/", "/ru/", "/newsletters/", *(page.url for page in StandardPage.objects.live())]
    paths.append(support.url)
    paths += [section.url for section in sections.values()]
    for article in articles.specific():
        assert article.lead_image and article.bylines.exists() and article.tags.exists()
        paths.append(article.url)
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert not response.cookies, path


def test_gazette_demo_serves_the_newsroom_and_stops_cleanly(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["GAZETTE_DATA_DIR"] = str(tmp_path / "var")
    demo = subprocess.Popen(
        [sys.executable, "-m", "gazette", "demo", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines = []
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            line = demo.stdout.readline()
            assert line, "gazette demo exited early:\n" + "".join(lines)
            lines.append(line)
            if "Press Ctrl-C to stop." in line:
                break
        output = "".join(lines)
        assert f"http://127.0.0.1:{port}/" in output
        username = re.search(r"user name: (\S+)", output).group(1)
        password = re.search(r"password:\s+(\S+)", output).group(1)
        recovery_code = re.search(r"recovery codes: (\S+)", output).group(1)

        home = None
        while time.monotonic() < deadline:
            try:
                home = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)
                break
            except OSError:
                time.sleep(0.5)
        assert home is not None and home.status == 200
        assert "The Lantern" in home.read().decode()
        assert home.headers.get("Set-Cookie") is None

        # The printed credentials open the admin.
        jar = CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        login_url = f"http://127.0.0.1:{port}/admin/login/"
        form = opener.open(login_url, timeout=10).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        data = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "username": username, "password": password}
        ).encode()
        request = urllib.request.Request(login_url, data=data, headers={"Referer": login_url})
        second_step = opener.open(request, timeout=10)
        assert "/admin/security/verify/" in second_step.url
        token = re.search(
            r'name="csrfmiddlewaretoken" value="([^"]+)"', second_step.read().decode()
        ).group(1)
        data = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": token,
                "method": "recovery",
                "token": recovery_code,
                "next": "/admin/",
            }
        ).encode()
        request = urllib.request.Request(
            second_step.url, data=data, headers={"Referer": second_step.url}
        )
        dashboard = opener.open(request, timeout=10)
        assert dashboard.url == f"http://127.0.0.1:{port}/admin/"
        assert "Log out" in dashboard.read().decode()
    finally:
        demo.send_signal(signal.SIGINT)
        rest, _ = demo.communicate(timeout=60)
    assert demo.returncode == 0, "".join(lines) + rest
    assert "Stopped." in rest
    # Neither the server nor the worker outlives the demo.
    left = subprocess.run(["pgrep", "-s", str(demo.pid)], capture_output=True, text=True)
    assert left.stdout.strip() == "", left.stdout
