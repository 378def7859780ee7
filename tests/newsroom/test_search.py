"""Reader search, /search/?q=: live articles of the current language, paginated, with
relative links, no cookies, a clear message for a query too long, and a rate limit."""

import pytest
from django.test import Client

from gazette.newsroom import search
from gazette.publishing.readpath import ReadPath
from tests.factories import make_article

pytestmark = pytest.mark.django_db


def test_finds_live_articles_with_relative_links_and_no_cookies(client, newsroom):
    make_article(newsroom["news"], "Secret draft on the media law", authors=[], publish=False)
    response = client.get("/search/", {"q": "media law"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Assembly passes media law" in page
    assert 'href="/news/assembly-passes-media-law/"' in page
    assert "Secret draft" not in page
    assert "lantern.example" not in page  # no absolute links: mirrors work
    assert not response.cookies
    assert response["Cache-Control"].startswith("max-age=0")
    assert '<meta name="robots" content="noindex">' in page


def test_empty_and_unmatched_queries(client, newsroom):
    empty = client.get("/search/")
    assert empty.status_code == 200 and 'name="q"' in empty.content.decode()
    nothing = client.get("/search/", {"q": "zebra unicorn"}).content.decode()
    assert "No articles match your search" in nothing


def test_too_long_a_query_is_refused_with_a_message(client, newsroom):
    response = client.get("/search/", {"q": "x" * 201})
    assert response.status_code == 400
    assert "please use at most 200 characters" in response.content.decode()


def test_pagination_keeps_the_query(client, newsroom, monkeypatch):
    monkeypatch.setattr(search, "PAGE_SIZE", 2)
    first = client.get("/search/", {"q": "report"}).content.decode()
    assert 'href="?q=report&amp;page=2"' in first
    second = client.get("/search/", {"q": "report", "page": "2"})
    assert second.status_code == 200
    assert client.get("/search/", {"q": "report", "page": "junk"}).status_code == 200


def test_russian_search_looks_in_russian_articles(client, newsroom):
    response = client.get("/ru/search/", {"q": "media law"})
    assert response.status_code == 200
    assert "Assembly passes media law" not in response.content.decode()  # English only


def test_rate_limited_per_client_with_a_clear_page(client, newsroom, settings):
    settings.GAZETTE_SEARCH_PER_CLIENT = 2
    for _ in range(2):
        assert client.get("/search/", {"q": "law"}).status_code == 200
    limited = client.get("/search/", {"q": "law"})
    assert limited.status_code == 429
    assert "Too many searches" in limited.content.decode()
    assert limited["Retry-After"] == str(settings.GAZETTE_SEARCH_WINDOW)
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert other.get("/search/", {"q": "law"}).status_code == 200


def test_rate_limited_overall(newsroom, settings):
    settings.GAZETTE_SEARCH_GLOBAL = 3
    codes = [
        Client(REMOTE_ADDR=f"198.51.100.{n}").get("/search/", {"q": "law"}).status_code
        for n in range(4)
    ]
    assert codes == [200, 200, 200, 429]


def test_header_has_a_plain_search_form(client, newsroom):
    page = client.get(newsroom["lead"].url).content.decode()
    assert '<form class="site-search" action="/search/" method="get" role="search">' in page


def test_the_read_path_lets_search_through_to_django(newsroom, tmp_path):
    from gazette.publishing.store import PageStore

    seen = []

    def app(environ, start_response):
        seen.append(environ["PATH_INFO"])
        start_response("200 OK", [])
        return [b"django"]

    read = ReadPath(app, store=PageStore(tmp_path))
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/search/", "QUERY_STRING": "q=law"}
    assert read(environ, lambda status, headers: None) == [b"django"]
    assert seen == ["/search/"]


@pytest.mark.parametrize(
    "query", ['"', 'a"b', "AND", "law OR", "NEAR(law", "*", "-law", "'", "law:", "^", "\x01", "()"]
)
def test_search_syntax_is_not_the_readers(client, newsroom, query):
    """A stray quote was a database error on SQLite (found by tests/fuzz)."""
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200


def test_punctuation_around_words_still_finds_them(client, newsroom):
    page = client.get("/search/", {"q": '"media law"'}).content.decode()
    assert "Assembly passes media law" in page
