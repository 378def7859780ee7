"""What the pages of one build share, fetched once per build instead of once per page.

Every stored page repeats the site's chrome (newsroom settings, sections, footer links,
mirrors, language links), and a full build shows each article several times (its own page,
listings, other articles' "Read more"). Inside ``build_session()`` the page models keep such
things here; outside one (previews, the admin, a request that falls through to Django)
nothing is kept and every call asks the database, as it always did.

A session lives for one task or one build: what it keeps may be as old as the build.
Memory stays bounded: articles and listings are kept in small LRU caches, so a site of
100,000 articles needs no more than one of 10,000.
"""

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_current: ContextVar["BuildSession | None"] = ContextVar("gazette_build_session", default=None)

MEMO_SIZE = 20_000  # remembered values: the site-wide ones stay (used by every page); per-
# article ones (a teaser's HTML, a feed item) are dropped oldest first, so memory is flat
ARTICLE_CACHE = 4000  # teaser-ready articles kept (a listing chunk and its neighbours)
LISTING_CACHE = (
    8  # article-id lists of listings kept (a build renders one listing's pages in a row)
)
MISSING = object()


class LRU(OrderedDict):
    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def get(self, key, default=None):
        try:
            self.move_to_end(key)
        except KeyError:
            return default
        return self[key]

    def __setitem__(self, key, value) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


class BuildSession:
    """``bulk``: the session renders much of the site (a full build, a listing's deep pages),
    so it pays to fetch for all pages at once what each page needs a part of (the newest
    articles of every tag, a listing's every article id)."""

    def __init__(self, *, bulk: bool = False):
        self.bulk = bulk
        self.memo = LRU(MEMO_SIZE)
        self.articles = LRU(ARTICLE_CACHE)
        self.listings = LRU(LISTING_CACHE)

    def remember(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        value = self.memo.get(key, MISSING)
        if value is MISSING:
            value = compute()
            self.memo[key] = value
        return value

    def teasers(self, ids: Iterable[int]) -> list:
        """The articles with these ids, ready for a teaser (image, bylines), in the order
        given; fetched in one round of queries for those not kept."""
        from gazette.newsroom.models import ArticlePage

        ids = list(ids)
        missing = [pk for pk in ids if self.articles.get(pk) is None]
        if missing:
            articles = (
                ArticlePage.objects.filter(pk__in=missing)
                .defer_streamfields()
                .select_related("lead_image", "locale")
                .prefetch_related("bylines__author", "lead_image__renditions")
            )
            for article in articles:
                self.articles[article.pk] = article
        found = (self.articles.get(pk) for pk in ids)
        return [article for article in found if article is not None]

    def keep_articles(self, articles: Iterable) -> None:
        for article in articles:
            self.articles[article.pk] = article

    def listing(self, key: Hashable, compute: Callable[[], list[int]]):
        ids = self.listings.get(key)
        if ids is None:
            ids = compute()
            self.listings[key] = ids
        return ids


def current() -> BuildSession | None:
    return _current.get()


def remember(key: Hashable, compute: Callable[[], Any]) -> Any:
    """``compute()``, kept for the rest of the build when one is running."""
    session = _current.get()
    return compute() if session is None else session.remember(key, compute)


@contextmanager
def build_session(*, bulk: bool = False):
    """Share what pages have in common until the block ends (joins an open session)."""
    if _current.get() is not None:
        yield _current.get()
        return
    with use_session(BuildSession(bulk=bulk)) as session:
        yield session


@contextmanager
def use_session(session: BuildSession):
    """Run the block in ``session`` (a build process keeps one across its slices)."""
    token = _current.set(session)
    try:
        yield session
    finally:
        _current.reset(token)
