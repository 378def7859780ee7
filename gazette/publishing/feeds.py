"""Feeds for each edition, section, tag and author: RSS 2.0, Atom and JSON Feed 1.1.

Paths: ``/rss.xml``, ``/atom.xml``, ``/feed.json`` for an edition's front page, and the same
names under a section (``/news/rss.xml``), tag (``/tags/<slug>/rss.xml``) or author
(``/authors/<slug>/rss.xml``); Russian ones under ``/ru/``. Feed readers need absolute links,
so items link to the primary domain (RSS 2.0: https://www.rssboard.org/rss-specification,
Atom: RFC 4287, JSON Feed: https://www.jsonfeed.org/version/1.1/).
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import translation
from django.utils.feedgenerator import Atom1Feed, Enclosure, Rss201rev2Feed
from django.utils.translation import gettext as _
from taggit.models import Tag

from gazette.newsroom.models import ArticlePage, Author, HomePage, NewsroomSettings, SectionPage
from gazette.newsroom.models.base import rendition_of
from gazette.publishing.dependencies import record_shown
from gazette.publishing.session import current as current_session
from gazette.publishing.session import remember

FEED_LENGTH = 30
# An empty feed's date, where Django would put the time of rendering: a feed must not change
# each time it is rendered (the store would rewrite it, readers' apps fetch it again).
EMPTY_FEED_DATE = datetime(2000, 1, 1, tzinfo=UTC)


class StableDate:
    def latest_post_date(self):
        return super().latest_post_date() if self.items else EMPTY_FEED_DATE


class RssFeed(StableDate, Rss201rev2Feed):
    pass


class AtomFeed(StableDate, Atom1Feed):
    pass


FORMATS = {
    "rss.xml": (RssFeed, "application/rss+xml; charset=utf-8"),
    "atom.xml": (AtomFeed, "application/atom+xml; charset=utf-8"),
    "feed.json": (None, "application/feed+json"),
}


@dataclass
class Scope:
    title: str
    path: str  # the listing page the feed follows, e.g. "/news/"
    articles: object  # an ArticleQuerySet


def edition_home(request) -> HomePage:
    language = translation.get_language()
    home = remember(
        ("edition-home", language),
        lambda: (
            HomePage.objects.live()
            .public()
            .filter(locale__language_code=language)
            .select_related("locale")
            .first()
        ),
    )
    if home is None:
        raise Http404("No edition in this language.")
    return home


def scope_for(request, prefix: str) -> Scope:
    """What a feed at ``<prefix><name>`` covers: the edition, a section, a tag or an author."""
    home = edition_home(request)
    newsroom = NewsroomSettings.for_request(request).name
    articles = ArticlePage.objects.published().descendant_of(home)
    edition = home.edition_path()
    parts = [part for part in prefix.split("/") if part]
    if not parts:
        return Scope(newsroom, edition, articles)
    if len(parts) == 2 and parts[0] == "tags":
        tag = get_object_or_404(Tag, slug=parts[1])
        return Scope(
            f"{newsroom}: {tag.name}", f"{edition}tags/{tag.slug}/", articles.tagged([tag.slug])
        )
    if len(parts) == 2 and parts[0] == "authors":
        author = get_object_or_404(Author, slug=parts[1], locale_id=home.locale_id)
        return Scope(
            f"{newsroom}: {author.name}",
            f"{edition}authors/{author.slug}/",
            articles.by_author(author),
        )
    section = (
        SectionPage.objects.live().public().child_of(home).filter(slug=parts[0]).first()
        if len(parts) == 1
        else None
    )
    if section is None:
        raise Http404("No feed here.")
    return Scope(
        f"{newsroom}: {section.title}", section.relative_path(), articles.child_of(section)
    )


@dataclass
class Item:
    """What every feed format says of one article."""

    id: int
    url: str
    title: str
    summary: str
    authors: list[str]
    published: datetime
    updated: datetime
    tags: list[str]
    image: dict | None

    @property
    def pk(self) -> int:  # as the dependency index counts what a page shows
        return self.id


def item_for(article: ArticlePage) -> Item:
    url = settings.GAZETTE_BASE_URL + article.relative_path()
    return Item(
        id=article.pk,
        url=url,
        title=article.title,
        summary=article.standfirst,
        authors=[author.name for author in article.authors],
        published=article.first_published_at,
        updated=article.last_published_at or article.first_published_at,
        tags=[tag.name for tag in article.tag_list],
        image=lead_image(article),
    )


def feed_items(scope: Scope) -> list[Item]:
    """The scope's newest articles as feed items. In a build an article's item is made once,
    for all the feeds it is in (its edition's, section's, tags' and authors', in 3 formats)."""
    ids = remember(
        ("feed-ids", scope.path),
        lambda: list(scope.articles.values_list("pk", flat=True)[:FEED_LENGTH]),
    )
    session = current_session()
    if session is None:
        articles = scope.articles.filter(pk__in=ids).for_listing()
        return [item_for(article) for article in articles]
    missing = [pk for pk in ids if ("feed-item", pk) not in session.memo]
    for article in ArticlePage.objects.filter(pk__in=missing).for_listing():
        session.memo[("feed-item", article.pk)] = item_for(article)
    return [session.memo[("feed-item", pk)] for pk in ids if ("feed-item", pk) in session.memo]


def feed(request, prefix: str, name: str) -> HttpResponse:
    scope = scope_for(request, prefix)
    base = settings.GAZETTE_BASE_URL
    items = feed_items(scope)
    record_shown(items)
    generator, content_type = FORMATS[name]
    language = translation.get_language()
    feed_url = f"{base}{scope.path}{name}"
    if generator is None:
        body = json.dumps(
            json_feed(scope, items, feed_url=feed_url, language=language), ensure_ascii=False
        )
        return HttpResponse(body, content_type=content_type)
    syndication = generator(
        title=scope.title,
        link=base + scope.path,
        description=_("The latest articles from %(title)s") % {"title": scope.title},
        language=language,
        feed_url=feed_url,
        feed_guid=feed_url,
    )
    for item in items:
        image = item.image
        syndication.add_item(
            title=item.title,
            link=item.url,
            description=item.summary,
            author_name=", ".join(item.authors),
            pubdate=item.published,
            updateddate=item.updated,
            unique_id=item.url,
            unique_id_is_permalink=True,
            categories=item.tags,
            enclosures=[Enclosure(image["url"], str(image["size"]), image["type"])]
            if image
            else None,
        )
    return HttpResponse(syndication.writeString("utf-8"), content_type=content_type)


def lead_image(article: ArticlePage) -> dict | None:
    if article.lead_image is None:
        return None
    rendition = rendition_of(article.lead_image, "fill-1200x675|format-jpeg")
    return {
        "url": settings.GAZETTE_BASE_URL + rendition.url,
        "size": remember(("file-size", rendition.file.name), lambda: rendition.file.size),
        "type": "image/jpeg",
    }


def json_feed(scope: Scope, items: list[Item], *, feed_url: str, language: str) -> dict:
    base = settings.GAZETTE_BASE_URL
    entries = []
    for item in items:
        entry = {
            "id": item.url,
            "url": item.url,
            "title": item.title,
            "summary": item.summary,
            "content_text": item.summary,
            "date_published": item.published.isoformat(),
            "date_modified": item.updated.isoformat(),
            "authors": [{"name": name} for name in item.authors],
            "tags": item.tags,
            "language": language,
        }
        if item.image:
            entry["image"] = item.image["url"]
        entries.append(entry)
    return {
        "version": "https://jsonfeed.org/version/1.1",
        "title": scope.title,
        "home_page_url": base + scope.path,
        "feed_url": feed_url,
        "language": language,
        "items": entries,
    }
