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
from gazette.publishing.dependencies import record_shown

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
    home = (
        HomePage.objects.live()
        .public()
        .filter(locale__language_code=language)
        .select_related("locale")
        .first()
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


def feed(request, prefix: str, name: str) -> HttpResponse:
    scope = scope_for(request, prefix)
    base = settings.GAZETTE_BASE_URL
    items = list(scope.articles.for_listing()[:FEED_LENGTH])
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
    for article in items:
        url = base + article.relative_path()
        image = lead_image(article)
        syndication.add_item(
            title=article.title,
            link=url,
            description=article.standfirst,
            author_name=", ".join(author.name for author in article.authors),
            pubdate=article.first_published_at,
            updateddate=article.last_published_at or article.first_published_at,
            unique_id=url,
            unique_id_is_permalink=True,
            categories=[tag.name for tag in article.tags.all()],
            enclosures=[Enclosure(image["url"], str(image["size"]), image["type"])]
            if image
            else None,
        )
    return HttpResponse(syndication.writeString("utf-8"), content_type=content_type)


def lead_image(article: ArticlePage) -> dict | None:
    if article.lead_image is None:
        return None
    rendition = article.lead_image.get_rendition("fill-1200x675|format-jpeg")
    return {
        "url": settings.GAZETTE_BASE_URL + rendition.url,
        "size": rendition.file.size,
        "type": "image/jpeg",
    }


def json_feed(scope: Scope, items, *, feed_url: str, language: str) -> dict:
    base = settings.GAZETTE_BASE_URL
    entries = []
    for article in items:
        url = base + article.relative_path()
        entry = {
            "id": url,
            "url": url,
            "title": article.title,
            "summary": article.standfirst,
            "content_text": article.standfirst,
            "date_published": article.first_published_at.isoformat(),
            "date_modified": (article.last_published_at or article.first_published_at).isoformat(),
            "authors": [{"name": author.name} for author in article.authors],
            "tags": [tag.name for tag in article.tags.all()],
            "language": language,
        }
        image = lead_image(article)
        if image:
            entry["image"] = image["url"]
        entries.append(entry)
    return {
        "version": "https://jsonfeed.org/version/1.1",
        "title": scope.title,
        "home_page_url": base + scope.path,
        "feed_url": feed_url,
        "language": language,
        "items": entries,
    }
