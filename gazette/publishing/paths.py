"""Which paths the page store holds: the whole site, or what one page's change touches."""

import math
from collections.abc import Iterator

from django.utils import translation
from taggit.models import Tag

from gazette.newsroom.models import ArticlePage, Author, HomePage, SectionPage, StandardPage
from gazette.newsroom.models.pages import PAGE_SIZE

from .models import StoredPage

# A new article shows up in the "Read more" of the newest articles sharing its tags; older
# ones catch up at the next full build (a popular tag can have thousands of articles).
RELATED_REFRESH_LIMIT = 20


def listing_paths(base: str, count: int) -> list[str]:
    pages = max(1, math.ceil(count / PAGE_SIZE))
    return [base] + [f"{base}page/{number}/" for number in range(2, pages + 1)]


def edition_prefix(home: HomePage) -> str:
    return home.edition_path()


def home_paths() -> Iterator[str]:
    for home in HomePage.objects.live().public().select_related("locale"):
        yield home.relative_path()


def tag_paths(home: HomePage, tags=None) -> Iterator[str]:
    articles = ArticlePage.objects.published().descendant_of(home)
    tags = (
        tags
        if tags is not None
        else Tag.objects.filter(pk__in=articles.values("tagged_items__tag_id"))
    )
    prefix = edition_prefix(home)
    for tag in tags:
        count = articles.tagged([tag.slug]).count()
        if count:
            yield from listing_paths(f"{prefix}tags/{tag.slug}/", count)


def author_paths(home: HomePage, authors=None) -> Iterator[str]:
    articles = ArticlePage.objects.published().descendant_of(home)
    authors = (
        authors
        if authors is not None
        else Author.objects.filter(
            locale_id=home.locale_id, pk__in=articles.values("bylines__author_id")
        )
    )
    prefix = edition_prefix(home)
    for author in authors:
        count = articles.by_author(author).count()
        if count:
            yield from listing_paths(f"{prefix}authors/{author.slug}/", count)


def section_paths(section: SectionPage) -> list[str]:
    count = ArticlePage.objects.published().child_of(section).count()
    return listing_paths(section.relative_path(), count)


def site_paths() -> Iterator[str]:
    """Every path of the public site."""
    for home in HomePage.objects.live().public():
        yield home.relative_path()
        for section in SectionPage.objects.live().public().descendant_of(home):
            yield from section_paths(section)
        for page in StandardPage.objects.live().public().descendant_of(home):
            yield page.relative_path()
        for article in ArticlePage.objects.published().descendant_of(home).defer_streamfields():
            yield article.relative_path()
        yield from tag_paths(home)
        yield from author_paths(home)


def paths_for_article(article: ArticlePage) -> set[str]:
    """What to render again when this article is published, changed or unpublished."""
    paths = set(StoredPage.objects.filter(page_id=article.pk).values_list("path", flat=True))
    paths |= set(StoredPage.objects.filter(shows=article).values_list("path", flat=True))
    home = HomePage.objects.ancestor_of(article).first()
    if home is None:
        return paths
    with translation.override(article.locale.language_code):
        paths.add(home.relative_path())
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
