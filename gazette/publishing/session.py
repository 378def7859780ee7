"""What the pages of one build share, fetched once per build instead of once per page.

Every stored page repeats the site's chrome (newsroom settings, sections, footer links,
mirrors, language links), and a full build shows each article several times (its own page,
listings, other articles' "Read more"). Inside ``build_session()`` the page models keep such
things here; outside one (previews, the admin, a request that falls through to Django)
nothing is kept and every call asks the database, as it always did.

A session lives for one task or one build: what it keeps may be as old as the build.
Memory stays bounded: articles and listings are kept in small LRU caches, so a site of
100,000 articles needs no more than one of 10,000. What a full build reuses across many
pages and cannot keep in memory (a teaser for each article, shown on its section's, tags'
and authors' listings) goes to a file the build's processes share (``SharedFragments``).
"""

import os
import sqlite3
import tempfile
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_current: ContextVar["BuildSession | None"] = ContextVar("gazette_build_session", default=None)

MEMO_SIZE = 8000  # remembered values: the site-wide ones stay (used by every page); per-
# article ones (a teaser's HTML, a feed item) are dropped oldest first, so memory is flat
ARTICLE_CACHE = 1000  # articles kept (a chunk's, and those teasers and feeds asked for)
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

    def __init__(self, *, bulk: bool = False, shared: "SharedFragments | None" = None):
        self.bulk = bulk
        self.shared = shared
        self.memo = LRU(MEMO_SIZE)
        self.articles = LRU(ARTICLE_CACHE)
        self.listings = LRU(LISTING_CACHE)

    def remember(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        value = self.memo.get(key, MISSING)
        if value is MISSING:
            value = compute()
            self.memo[key] = value
        return value

    def remember_shared(self, key: tuple, compute: Callable[[], str]) -> str:
        """``remember`` for a fragment of HTML that other processes of the build reuse too."""
        if self.shared is None:
            return self.remember(key, compute)
        return self.remember(key, lambda: self.shared.remember(key, compute))

    def teasers(self, ids: Iterable[int]) -> list:
        """The articles with these ids for teasers, in the order given. Each is fetched
        (with image and bylines) only when a teaser needs more than its id, that is when the
        teaser's HTML is not already kept; then all of the list's articles not kept are
        fetched in one round of queries."""
        ids = list(ids)
        batch = TeaserBatch(self, ids)
        return [self.articles.get(pk) or LazyArticle(pk, batch) for pk in ids]

    def fetch_articles(self, ids: Iterable[int]) -> dict[int, Any]:
        """The articles with these ids by id (None for one not published), fetched in one
        round of queries for those not kept yet, and kept."""
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
        return {pk: self.articles.get(pk) for pk in ids}

    def keep_articles(self, articles: Iterable) -> None:
        for article in articles:
            self.articles[article.pk] = article

    def listing(self, key: Hashable, compute: Callable[[], list[int]]):
        ids = self.listings.get(key)
        if ids is None:
            ids = compute()
            self.listings[key] = ids
        return ids


class TeaserBatch:
    """The articles of one list of teasers: fetched together when the first is needed."""

    def __init__(self, session: BuildSession, ids: list[int]):
        self.session = session
        self.ids = ids
        self.found: dict[int, Any] = {}

    def article(self, pk: int):
        if pk not in self.found:
            self.found = self.session.fetch_articles(self.ids)
        article = self.found.get(pk)
        if article is None:
            # Unpublished or deleted since its listing was read: this page fails, keeps
            # its stored version, and the change's own rebuild renders it again.
            raise LookupError(f"article {pk} is no longer published")
        return article


class LazyArticle:
    """An article known by its id until a template asks for anything else."""

    __slots__ = ("pk", "id", "_batch", "_article")

    def __init__(self, pk: int, batch: TeaserBatch):
        self.pk = self.id = pk
        self._batch = batch
        self._article = None

    def __getattr__(self, name: str):
        if self._article is None:
            self._article = self._batch.article(self.pk)
        return getattr(self._article, name)

    def __repr__(self) -> str:
        return f"<LazyArticle {self.pk}>"


class SharedFragments:
    """HTML fragments of one full build, in an SQLite file that all of the build's render
    processes read and add to: a teaser rendered by one process is reused by the other's
    listings, and memory stays flat however many articles the site has. A throwaway cache
    (no fsync); each process opens its own connection after the fork."""

    def __init__(self, path: str):
        self.path = path
        self._connection = None
        self._pid = None

    def _db(self) -> sqlite3.Connection:
        if self._pid != os.getpid():
            self._connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute("PRAGMA synchronous=OFF")
            self._connection.execute(
                "CREATE TABLE IF NOT EXISTS fragment (key TEXT PRIMARY KEY, html TEXT)"
            )
            self._pid = os.getpid()
        return self._connection

    def get(self, key: tuple) -> str | None:
        row = self._db().execute("SELECT html FROM fragment WHERE key = ?", (repr(key),))
        found = row.fetchone()
        return None if found is None else found[0]

    def put(self, key: tuple, html: str) -> None:
        self._db().execute(
            "INSERT OR IGNORE INTO fragment (key, html) VALUES (?, ?)", (repr(key), str(html))
        )

    def remember(self, key: tuple, render: Callable[[], str]) -> str:
        """The fragment from the file, or ``render()``'s, added to it."""
        html = self.get(key)
        if html is None:
            html = render()
            self.put(key, html)
        return html


@contextmanager
def scratch_fragments():
    """A ``SharedFragments`` in a scratch directory, removed when the block ends."""
    with tempfile.TemporaryDirectory(prefix="gazette-build-") as scratch:
        yield SharedFragments(f"{scratch}/fragments.sqlite3")


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
