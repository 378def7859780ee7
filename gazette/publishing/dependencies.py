"""Which articles a rendered page shows, so that a change to one article re-renders exactly
the pages that show it. Listing code reports what it shows; the renderer collects it."""

from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar

_collector: ContextVar[set[int] | None] = ContextVar("gazette_shown_articles", default=None)


def record_shown(pages: Iterable) -> None:
    collector = _collector.get()
    if collector is not None:
        collector.update(page.pk for page in pages)


@contextmanager
def collecting():
    """Collects the ids of the articles shown while rendering inside the block."""
    shown: set[int] = set()
    token = _collector.set(shown)
    try:
        yield shown
    finally:
        _collector.reset(token)
