"""Keeps the page store in step with the content: full builds and per-change rebuilds."""

import logging
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db import transaction
from django_tasks import task

from .models import StoredPage
from .rendering import Renderer
from .store import PageStore

FEED_SUFFIXES = ("rss.xml", "atom.xml", "feed.json")

logger = logging.getLogger(__name__)


@dataclass
class Summary:
    rendered: int = 0
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        rate = self.rendered / self.seconds if self.seconds else 0
        return (
            f"{self.rendered} pages rendered in {self.seconds:.1f} s ({rate:.0f} pages/s): "
            f"{self.written} written, {self.unchanged} unchanged, {self.removed} removed"
            + (f", {len(self.errors)} failed" if self.errors else "")
        )


def render_paths(
    paths: Iterable[str],
    *,
    store: PageStore | None = None,
    progress: Callable[[int], None] | None = None,
) -> Summary:
    """Render each path into the store; a path that no longer exists is removed from it."""
    store = store or PageStore()
    renderer = Renderer()
    summary = Summary()
    started = time.monotonic()
    for number, path in enumerate(paths, start=1):
        try:
            result = renderer.render(path)
        except Exception as error:  # one broken page must not stop the others
            logger.exception("Rendering %s failed", path)
            summary.errors.append(f"{path}: {error}")
            continue
        summary.rendered += 1
        if result.status == 200:
            if store.write(path, result.body):
                summary.written += 1
            else:
                summary.unchanged += 1
            record(path, page_id=result.page_id, shows=result.shows)
        elif result.status in (404, 410):
            if store.delete(path):
                summary.removed += 1
            StoredPage.objects.filter(path=path).delete()
        else:
            summary.errors.append(f"{path}: answered {result.status}")
        if progress:
            progress(number)
    summary.seconds = time.monotonic() - started
    return summary


@transaction.atomic
def record(path: str, *, page_id: int | None, shows: set[int]) -> None:
    stored, _ = StoredPage.objects.update_or_create(path=path, defaults={"page_id": page_id})
    stored.shows.set(shows)


def build_site(*, store: PageStore | None = None, progress=None, total=None) -> Summary:
    """Render every public page, then remove what the site no longer has."""
    from .paths import site_paths

    store = store or PageStore()
    paths = list(site_paths())
    if total:
        total(len(paths))
    summary = render_paths(paths, store=store, progress=progress)
    wanted = set(paths)
    for stale in [path for path in store.paths() if path not in wanted]:
        store.delete(stale)
        summary.removed += 1
    StoredPage.objects.exclude(path__in=wanted).delete()
    return summary


def rebuild_for_page(page_id: int) -> Summary | None:
    """Render again what one page's publish, change or removal touches."""
    from wagtail.models import Page

    page = Page.objects.filter(pk=page_id).first()
    specific = page.specific if page else None
    if specific is None:
        paths = set(StoredPage.objects.filter(page_id=page_id).values_list("path", flat=True))
    elif getattr(specific, "change_shows_everywhere", True):
        return build_site()
    else:
        paths = specific.stored_paths()
    from .paths import is_deep_listing_page

    deep = sorted(path for path in paths if is_deep_listing_page(path))
    summary = render_paths(sorted(set(paths) - set(deep), key=reading_order))
    if deep:
        # Behind any newer publish: a big archive's deep pages take minutes.
        render_paths_task.using(priority=-50).enqueue(deep)
    return summary


def reading_order(path: str) -> tuple:
    """What readers reach first goes first: front pages and feeds, then first listing
    pages, then articles and the rest."""
    depth = path.rstrip("/").count("/")
    is_listing_page = "/page/" in path
    return (depth > 1 and not path.endswith(FEED_SUFFIXES), is_listing_page, depth, path)


@task()
def rebuild_for_page_task(page_id: int) -> str:
    return str(rebuild_for_page(page_id))


@task()
def render_paths_task(paths: list[str]) -> str:
    return str(render_paths(paths))


@task()
def build_site_task() -> str:
    return str(build_site())


_paused: ContextVar[bool] = ContextVar("gazette_rebuilds_paused", default=False)


@contextmanager
def rebuilds_paused():
    """For bulk loads that end with one full build."""
    token = _paused.set(True)
    try:
        yield
    finally:
        _paused.reset(token)


def schedule_rebuild(page_id: int) -> None:
    """Queue the rebuild once the change is committed, so the worker sees it."""
    if not _paused.get():
        transaction.on_commit(lambda: rebuild_for_page_task.enqueue(page_id))


def schedule_site_build() -> None:
    if not _paused.get():
        transaction.on_commit(build_site_task.enqueue)


def schedule_render(paths: Iterable[str]) -> None:
    paths = sorted(paths)
    if paths and not _paused.get():
        transaction.on_commit(lambda: render_paths_task.enqueue(paths))
