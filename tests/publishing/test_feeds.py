"""Feeds parse cleanly and carry what their specs require; sitemaps are valid and correct."""

import json
from datetime import timedelta
from xml.etree import ElementTree as ET

import feedparser
import pytest
from django.test import Client
from django.utils import timezone
from wagtail.models import Page

pytestmark = pytest.mark.django_db

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
ATOM = "{http://www.w3.org/2005/Atom}"
BASE = "https://lantern.example"


def get(path: str):
    response = Client().get(path)
    assert response.status_code == 200, path
    assert not response.cookies
    return response


@pytest.mark.parametrize(
    ("prefix", "titles"),
    [
        ("/", {"Assembly passes media law", "Printers face new fines", "Grain exports fall"}),
        ("/news/", {"Assembly passes media law", "Bridge reopens in Oskel", "Court hears appeal"}),
        ("/tags/censorship/", {"Assembly passes media law", "Printers face new fines"}),
        ("/authors/ivan-sorokin/", {"Printers face new fines", "Grain exports fall"}),
    ],
)
@pytest.mark.parametrize("name", ["rss.xml", "atom.xml", "feed.json"])
def test_every_feed_parses_without_errors_and_lists_its_articles(newsroom, prefix, titles, name):
    response = get(prefix + name)
    if name == "feed.json":  # feedparser 6 reads no JSON Feed; check it against its spec
        parsed = check_json_feed(json.loads(response.content))
    else:
        parsed = feedparser.parse(response.content)
        assert parsed.version in ("rss20", "atom10"), parsed.version
        assert parsed.bozo == 0, parsed.get("bozo_exception")
    got = {entry.title for entry in parsed.entries}
    assert titles <= got
    if prefix != "/":
        assert got == titles  # nothing from outside the section, tag or author
    for entry in parsed.entries:
        assert entry.link.startswith(BASE + "/")
        assert entry.get("published") or entry.get("updated")


def test_rss_has_the_required_channel_and_item_elements(newsroom):
    response = get("/news/rss.xml")
    assert response["Content-Type"] == "application/rss+xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    for required in ["title", "link", "description"]:
        assert channel.findtext(required), required
    assert channel.findtext("link") == BASE + "/news/"
    item = channel.find("item")
    assert item.findtext("title") and item.findtext("description")
    guid = item.find("guid")
    assert guid.text.startswith(BASE) and guid.get("isPermaLink", "true") == "true"
    lead = [
        i for i in channel.findall("item") if i.findtext("title") == "Assembly passes media law"
    ][0]
    enclosure = lead.find("enclosure")
    assert enclosure.get("url").startswith(BASE + "/media/images/")
    assert int(enclosure.get("length")) > 0 and enclosure.get("type") == "image/jpeg"


def test_atom_has_the_elements_rfc_4287_requires(newsroom):
    response = get("/atom.xml")
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    for required in ["id", "title", "updated"]:
        assert root.findtext(f"{ATOM}{required}"), required
    assert root.find(f"{ATOM}link[@rel='self']").get("href") == BASE + "/atom.xml"
    for entry in root.findall(f"{ATOM}entry"):
        for required in ["id", "title", "updated"]:
            assert entry.findtext(f"{ATOM}{required}"), required
        assert entry.find(f"{ATOM}link").get("href").startswith(BASE)
        assert entry.find(f"{ATOM}author/{ATOM}name").text


def check_json_feed(feed: dict) -> feedparser.FeedParserDict:
    """The requirements of https://www.jsonfeed.org/version/1.1/; returns the items in
    feedparser's shape so the same assertions apply."""
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(feed["title"], str) and feed["title"]
    assert isinstance(feed["items"], list)
    for key in ("home_page_url", "feed_url"):
        assert feed[key].startswith("https://")
    for item in feed["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert "content_text" in item or "content_html" in item
        timezone.datetime.fromisoformat(item["date_published"])
        timezone.datetime.fromisoformat(item["date_modified"])
        assert all(isinstance(author["name"], str) for author in item["authors"])
        assert all(isinstance(tag, str) for tag in item["tags"])
    entries = [
        feedparser.FeedParserDict(title=i["title"], link=i["url"], published=i["date_published"])
        for i in feed["items"]
    ]
    return feedparser.FeedParserDict(entries=entries)


def test_json_feed_follows_version_1_1(newsroom):
    response = get("/feed.json")
    assert response["Content-Type"] == "application/feed+json"
    feed = json.loads(response.content)
    check_json_feed(feed)
    assert feed["title"] == "The Lantern" and feed["feed_url"] == BASE + "/feed.json"


def test_feeds_for_what_does_not_exist_are_404(newsroom):
    for path in [
        "/nope/rss.xml",
        "/tags/nope/atom.xml",
        "/authors/nobody/feed.json",
        "/news/x/rss.xml",
    ]:
        assert Client().get(path).status_code == 404, path


def test_pages_announce_their_feeds(newsroom):
    html = get("/news/").content.decode()
    assert (
        '<link rel="alternate" type="application/rss+xml" title="The Lantern (RSS)" '
        'href="/news/rss.xml">' in html
    )
    html = get("/tags/censorship/").content.decode()
    assert 'href="/tags/censorship/atom.xml"' in html
    assert 'type="application/feed+json"' in get("/").content.decode()


def test_sitemaps_are_valid_xml_with_correct_urls(newsroom):
    index = ET.fromstring(get("/sitemap.xml").content)
    assert index.tag == f"{SITEMAP}sitemapindex"
    files = [loc.text for loc in index.iter(f"{SITEMAP}loc")]
    assert files == [
        BASE + "/sitemaps/pages.xml",
        BASE + "/sitemaps/articles-1.xml",
        BASE + "/sitemaps/news.xml",
    ]
    urls = set()
    for file in files:
        root = ET.fromstring(get(file.removeprefix(BASE)).content)
        assert root.tag == f"{SITEMAP}urlset"
        urls |= {loc.text for loc in root.iter(f"{SITEMAP}loc")}
    expected = {BASE + page.url for page in Page.objects.live().specific() if page.depth > 1}
    assert urls == expected
    for url in urls:  # every listed URL answers
        assert Client().get(url.removeprefix(BASE)).status_code == 200, url


def test_news_sitemap_lists_the_last_two_days_only(newsroom):
    Page.objects.filter(pk=newsroom["older"].pk).update(
        first_published_at=timezone.now() - timedelta(hours=49)
    )
    root = ET.fromstring(get("/sitemaps/news.xml").content)
    titles = {news.findtext(f"{NEWS}title") for news in root.iter(f"{NEWS}news")}
    assert "Assembly passes media law" in titles and "Court hears appeal" not in titles
    news = next(root.iter(f"{NEWS}news"))
    assert news.findtext(f"{NEWS}publication/{NEWS}name") == "The Lantern"
    assert news.findtext(f"{NEWS}publication/{NEWS}language") == "en"
    timezone.datetime.fromisoformat(news.findtext(f"{NEWS}publication_date"))


def test_robots_txt_points_to_the_sitemap(newsroom):
    response = get("/robots.txt")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "Sitemap: https://lantern.example/sitemap.xml" in response.content.decode()
    assert "Disallow: /admin/" in response.content.decode()
