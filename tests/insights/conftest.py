import pytest

from gazette.publishing.models import StoredPage

UA = "Mozilla/5.0 (X11; Linux x86_64) TestBrowser/1.0"
ADDRESS = "203.0.113.7"


def hit(client, path, *, address=ADDRESS, user_agent=UA, **headers):
    body = path.encode() if isinstance(path, str) else path
    return client.post(
        "/insights/hit",
        data=body,
        content_type="text/plain;charset=UTF-8",
        REMOTE_ADDR=address,
        headers={"User-Agent": user_agent, "Sec-Fetch-Site": "same-origin", **headers},
    )


@pytest.fixture
def stored(newsroom):
    """The newsroom's pages as the page store lists them after a build (their StoredPage
    rows), without rendering them: what the endpoint checks a path against."""
    pages = [newsroom["lead"], newsroom["tagged"], newsroom["older"], newsroom["news"]]
    for page in pages:
        StoredPage.objects.create(path=page.relative_path(), page=page)
    StoredPage.objects.create(path="/", page=newsroom["news"].get_parent())
    StoredPage.objects.create(path="/rss.xml", page=None)
    return newsroom
