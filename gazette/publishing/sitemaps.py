"""Sitemaps (https://www.sitemaps.org/protocol.html), a Google News sitemap of the last two
days (https://developers.google.com/search/docs/crawling-indexing/sitemaps/news-sitemap) and
robots.txt. Paths carry no query strings, so every file can live in the page store:
``/sitemap.xml`` (the index), ``/sitemaps/pages.xml``, ``/sitemaps/articles-<n>.xml``,
``/sitemaps/news.xml``."""

import math
from datetime import timedelta
from xml.etree import ElementTree as ET

from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils import timezone

from gazette.newsroom.models import (
    ArticlePage,
    HomePage,
    NewsroomSettings,
    SectionPage,
    StandardPage,
)

ARTICLES_PER_FILE = 5000
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
ET.register_namespace("", SITEMAP_NS)
ET.register_namespace("news", NEWS_NS)


def xml_response(root: ET.Element) -> HttpResponse:
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return HttpResponse(body, content_type="application/xml; charset=utf-8")


def add_url(parent, path: str, lastmod=None) -> ET.Element:
    url = ET.SubElement(parent, f"{{{SITEMAP_NS}}}url")
    ET.SubElement(url, f"{{{SITEMAP_NS}}}loc").text = settings.GAZETTE_BASE_URL + path
    if lastmod:
        ET.SubElement(url, f"{{{SITEMAP_NS}}}lastmod").text = lastmod.isoformat(timespec="seconds")
    return url


def published_articles():
    return ArticlePage.objects.published().order_by("pk").defer_streamfields()


def article_files() -> int:
    return max(1, math.ceil(published_articles().count() / ARTICLES_PER_FILE))


def sitemap_index(request) -> HttpResponse:
    root = ET.Element(f"{{{SITEMAP_NS}}}sitemapindex")
    names = ["pages.xml", *(f"articles-{n}.xml" for n in range(1, article_files() + 1)), "news.xml"]
    for name in names:
        entry = ET.SubElement(root, f"{{{SITEMAP_NS}}}sitemap")
        ET.SubElement(
            entry, f"{{{SITEMAP_NS}}}loc"
        ).text = f"{settings.GAZETTE_BASE_URL}/sitemaps/{name}"
    return xml_response(root)


def pages_sitemap(request) -> HttpResponse:
    root = ET.Element(f"{{{SITEMAP_NS}}}urlset")
    for model in (HomePage, SectionPage, StandardPage):
        for page in model.objects.live().public():
            add_url(root, page.relative_path(), page.last_published_at)
    return xml_response(root)


def articles_sitemap(request, number: int) -> HttpResponse:
    if not 1 <= number <= article_files():
        raise Http404("No such sitemap.")
    start = (number - 1) * ARTICLES_PER_FILE
    root = ET.Element(f"{{{SITEMAP_NS}}}urlset")
    for article in published_articles()[start : start + ARTICLES_PER_FILE]:
        add_url(root, article.relative_path(), article.last_published_at)
    return xml_response(root)


def article_sitemap_number(article: ArticlePage) -> int:
    """Which articles-<n>.xml lists ``article`` (files are cut in id order)."""
    return published_articles().filter(pk__lt=article.pk).count() // ARTICLES_PER_FILE + 1


def news_sitemap(request) -> HttpResponse:
    newsroom = NewsroomSettings.for_request(request).name
    root = ET.Element(f"{{{SITEMAP_NS}}}urlset")
    since = timezone.now() - timedelta(hours=48)
    recent = (
        ArticlePage.objects.published()
        .filter(first_published_at__gte=since)
        .select_related("locale")
        .defer_streamfields()[:1000]
    )
    for article in recent:
        url = add_url(root, article.relative_path())
        news = ET.SubElement(url, f"{{{NEWS_NS}}}news")
        publication = ET.SubElement(news, f"{{{NEWS_NS}}}publication")
        ET.SubElement(publication, f"{{{NEWS_NS}}}name").text = newsroom
        ET.SubElement(publication, f"{{{NEWS_NS}}}language").text = article.locale.language_code
        date = ET.SubElement(news, f"{{{NEWS_NS}}}publication_date")
        date.text = article.first_published_at.isoformat(timespec="seconds")
        ET.SubElement(news, f"{{{NEWS_NS}}}title").text = article.title
    return xml_response(root)


def robots_txt(request) -> HttpResponse:
    lines = [
        "User-agent: *",
        f"Disallow: /{settings.WAGTAILADMIN_PATH}/",
        "Disallow: /documents/",
        "",
        f"Sitemap: {settings.GAZETTE_BASE_URL}/sitemap.xml",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


def sitemap_paths() -> list[str]:
    return [
        "/robots.txt",
        "/mirrors.json",
        "/sitemap.xml",
        "/sitemaps/pages.xml",
        "/sitemaps/news.xml",
        *(f"/sitemaps/articles-{n}.xml" for n in range(1, article_files() + 1)),
    ]
