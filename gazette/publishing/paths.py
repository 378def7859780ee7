"""Which paths the page store holds: the whole site, or what one page's change touches."""

import math
import re
from collections.abc import Iterator

from django.db.models import Count
from django.utils import translation

from gazette.newsletters.archive import archive_paths
from gazette.newsroom.models import (
    ArticleByline,
    ArticlePage,
    ArticleTag,
    HomePage,
    SectionPage,
    StandardPage,
)
from gazette.newsroom.models.base import path_under, url_roots
from gazette.newsroom.models.pages import PAGE_SIZE
from gazette.support.models import SupportPage

from . import sitemaps
from .feeds import FORMATS
from .models import StoredPage

FEED_NAMES = list(FORMATS)

# A new article shows up in the "Read more" of the newest articles sharing its tags; older
# ones catch up at the next full build (a popular tag can have thousands of articles).
RELATED_REFRESH_LIMIT = 20


# A new article shifts every page of its listings by one. The first pages are rendered with
# the article; deeper ones (a busy section has hundreds) follow in a second task, so
# publishing stays fast however large the archive is.
HEAD_PAGES = 2
DEEP_PAGE = re.compile(r"/page/(\d+)/$")


def is_deep_listing_page(path: str) -> bool:
    match = DEEP_PAGE.search(path)
    return bool(match) and int(match.group(1)) > HEAD_PAGES


def listing_paths(base: str, count: int) -> list[str]:
    """A listing's pages, then its feeds (beside its first page)."""
    pages = max(1, math.ceil(count / PAGE_SIZE))
    return [
        base,
        *(f"{base}page/{number}/" for number in range(2, pages + 1)),
        *(f"{base}{name}" for name in FEED_NAMES),
    ]


def tag_paths(home: HomePage, tags=None) -> Iterator[str]:
    """The listings of ``tags`` (default: every tag of the edition's articles)."""
    articles = ArticlePage.objects.published().descendant_of(home).order_by()
    links = ArticleTag.objects.filter(content_object__in=articles.values("pk"))
    if tags is not None:
        links = links.filter(tag__in=tags)
    # One grouped count for all of them: a count per tag costs a query each (seconds for a
    # site of many tags).
    counts = links.values_list("tag__slug").annotate(count=Count("content_object", distinct=True))
    prefix = home.edition_path()
    for slug, count in counts.order_by("tag__slug"):
        yield from listing_paths(f"{prefix}tags/{slug}/", count)


def author_paths(home: HomePage, authors=None) -> Iterator[str]:
    """The listings of ``authors`` (default: every author of the edition's articles)."""
    articles = ArticlePage.objects.published().descendant_of(home).order_by()
    bylines = ArticleByline.objects.filter(
        page__in=articles.values("pk"), author__locale_id=home.locale_id
    )
    if authors is not None:
        bylines = bylines.filter(author__in=authors)
    counts = bylines.values_list("author__slug").annotate(count=Count("page", distinct=True))
    prefix = home.edition_path()
    for slug, count in counts.order_by("author__slug"):
        yield from listing_paths(f"{prefix}authors/{slug}/", count)


def section_paths(section: SectionPage) -> list[str]:
    count = ArticlePage.objects.published().child_of(section).count()
    return listing_paths(section.relative_path(), count)


def edition_paths(home: HomePage) -> list[str]:
    """The front page and the edition's own feeds."""
    return [home.relative_path(), *(f"{home.edition_path()}{name}" for name in FEED_NAMES)]


def site_paths() -> Iterator[str]:
    """Every path of the public site."""
    for home in HomePage.objects.live().public():
        with translation.override(home.locale.language_code):
            yield from edition_paths(home)
            for section in SectionPage.objects.live().public().descendant_of(home):
                yield from section_paths(section)
            for page in StandardPage.objects.live().public().descendant_of(home):
                yield page.relative_path()
            for page in SupportPage.objects.live().public().descendant_of(home):
                yield page.relative_path()
            # url_paths only: no page objects, no reverse() for each of 100,000 articles.
            roots = url_roots()
            articles = ArticlePage.objects.published().descendant_of(home)
            for url_path in articles.values_list("url_path", flat=True).iterator(2000):
                yield path_under(url_path, roots)
            yield from tag_paths(home)
            yield from author_paths(home)
    yield from sitemaps.sitemap_paths()
    yield from archive_paths()


def first_paths_for_article(article: ArticlePage) -> list[str]:
    """What readers reach first after a publish, in that order: the article's page, its
    edition's front page and feeds. Found without counting anything, so that they are
    rendered at once."""
    paths = []
    with translation.override(article.locale.language_code):
        path = article.relative_path()
        if path:
            paths.append(path)
        home = article.edition()
        if home is not None:
            paths += edition_paths(home)
    return list(dict.fromkeys(paths))


def head_paths_for_article(article: ArticlePage) -> list[str]:
    """What readers reach next: the article's section's first page and feeds."""
    with translation.override(article.locale.language_code):
        if isinstance(article.section, SectionPage):
            return listing_paths(article.section.relative_path(), count=0)  # page 1, feeds
    return []


def paths_for_article(article: ArticlePage) -> set[str]:
    """What to render again when this article is published, changed or unpublished."""
    paths = set(StoredPage.objects.filter(page_id=article.pk).values_list("path", flat=True))
    paths |= set(StoredPage.objects.filter(shows=article).values_list("path", flat=True))
    paths |= {"/sitemap.xml", "/sitemaps/news.xml"}
    paths.add(f"/sitemaps/articles-{sitemaps.article_sitemap_number(article)}.xml")
    home = article.edition()
    if home is None:
        return paths
    with translation.override(article.locale.language_code):
        paths.update(edition_paths(home))
        if article.live:
            paths.add(article.relative_path())
            paths.update(section_paths(article.get_parent().specific))
            paths.update(tag_paths(home, article.tags.all()))
            paths.update(author_paths(home, article.authors))
            tag_ids = [tag.pk for tag in article.tags.all()]
            related = (
                ArticlePage.objects.published()
                .descendant_of(home)
                .with_tag_ids(tag_ids)
                .exclude(pk=article.pk)[:RELATED_REFRESH_LIMIT]
            )
            paths.update(page.relative_path() for page in related)
    return paths
