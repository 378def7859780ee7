"""Keeps the page store in step with the content: full builds and per-change rebuilds."""

import logging
import math
import multiprocessing
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from itertools import islice

from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone
from django_tasks import task

from .models import StoredPage
from .rendering import Rendered, Renderer
from .session import (
    BuildSession,
    SharedFragments,
    build_session,
    scratch_fragments,
    use_session,
)
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
    left: list[str] = field(default_factory=list)  # not rendered: gave way to other work
    processes: int = 1

    def merge(self, other: "Summary") -> None:
        """Add another's counts (a part rendered elsewhere); seconds stay this one's."""
        self.rendered += other.rendered
        self.written += other.written
        self.unchanged += other.unchanged
        self.removed += other.removed
        self.errors += other.errors
        self.left += other.left

    def __str__(self) -> str:
        rate = self.rendered / self.seconds if self.seconds else 0
        return (
            f"{self.rendered} pages rendered in {self.seconds:.1f} s ({rate:.0f} pages/s): "
            f"{self.written} written, {self.unchanged} unchanged, {self.removed} removed"
            + (f", {len(self.errors)} failed" if self.errors else "")
            + (f"; {self.processes} processes" if self.processes > 1 else "")
        )


CHUNK = 200  # paths rendered between two rounds of prefetching and recording
BULK_FROM = 300  # paths from which a render fetches for the whole site at once


def batched(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def render_paths(
    paths: Iterable[str],
    *,
    store: PageStore | None = None,
    progress: Callable[[int], None] | None = None,
    give_way: Callable[[], bool] | None = None,
) -> Summary:
    """Render each path into the store; a path that no longer exists is removed from it.

    Paths go a chunk at a time: the chunk's articles are fetched together, then each page
    is rendered and written, then what the chunk's pages show is recorded in one
    transaction. Everything runs in one build session, so what pages share is fetched once.

    ``give_way()`` is asked before each path after the first; when it says yes, the paths
    not yet rendered are left in ``summary.left`` for the caller to queue again.
    """
    paths = list(paths)
    store = store or PageStore()
    renderer = Renderer()
    summary = Summary()
    started = time.monotonic()
    number = 0
    with build_session(bulk=len(paths) >= BULK_FROM):
        chunks = batched(paths, CHUNK)
        for chunk in chunks:
            renderer.prepare(chunk)
            shown, gone = [], []
            for index, path in enumerate(chunk):
                if number and give_way and give_way():
                    summary.left = chunk[index:] + [p for rest in chunks for p in rest]
                    break
                number += 1
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
                    shown.append(result)
                elif result.status in (404, 410):
                    if store.delete(path):
                        summary.removed += 1
                    gone.append(path)
                else:
                    summary.errors.append(f"{path}: answered {result.status}")
                if progress:
                    progress(number)
            record(shown, gone)
            if summary.left:
                break
    summary.seconds = time.monotonic() - started
    return summary


@transaction.atomic
def record(rendered: list[Rendered], gone: Iterable[str] = ()) -> None:
    """Note which page each stored path renders and which articles it shows; forget the
    paths that are gone. A fixed number of queries however many paths."""
    gone = list(gone)
    if gone:
        StoredPage.objects.filter(path__in=gone).delete()
    if not rendered:
        return
    now = timezone.now()
    stored = {
        row.path: row
        for row in StoredPage.objects.filter(path__in=[result.path for result in rendered])
    }
    new = [
        StoredPage(path=result.path, page_id=result.page_id, rendered_at=now)
        for result in rendered
        if result.path not in stored
    ]
    StoredPage.objects.bulk_create(new)
    if any(row.pk is None for row in new):  # a database that returns no ids on insert
        new = list(StoredPage.objects.filter(path__in=[row.path for row in new]))
    # One prepared statement for every changed row: bulk_update's CASE expression cost
    # ~6% of an article's render on the Python side (resolving 2 x 200 When() clauses).
    changed = [
        (result.page_id, stored[result.path].pk) for result in rendered if result.path in stored
    ]
    if changed:
        when = connection.ops.adapt_datetimefield_value(now)
        table = connection.ops.quote_name(StoredPage._meta.db_table)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET page_id = %s, rendered_at = %s WHERE id = %s",  # noqa: S608
                [(page_id, when, pk) for page_id, pk in changed],
            )
    stored.update((row.path, row) for row in new)

    through = StoredPage.shows.through
    ids = {result.path: stored[result.path].pk for result in rendered}
    had: dict[int, set[int]] = {pk: set() for pk in ids.values()}
    rows = through.objects.filter(storedpage_id__in=list(had))
    for stored_id, article_id in rows.values_list("storedpage_id", "articlepage_id"):
        had[stored_id].add(article_id)
    added = []
    for result in rendered:
        stored_id = ids[result.path]
        dropped = had[stored_id] - result.shows
        if dropped:
            through.objects.filter(storedpage_id=stored_id, articlepage_id__in=dropped).delete()
        added += [
            through(storedpage_id=stored_id, articlepage_id=article_id)
            for article_id in result.shows - had[stored_id]
        ]
    through.objects.bulk_create(added, ignore_conflicts=True)


def build_site(
    *, store: PageStore | None = None, progress=None, total=None, jobs: int | None = None
) -> Summary:
    """Render every public page, then remove what the site no longer has.

    A big site is rendered by ``jobs`` processes (default: GAZETTE_BUILD_JOBS, one per
    core), each with its own database connection and build session."""
    from .paths import site_paths

    store = store or PageStore()
    paths = list(site_paths())
    if total:
        total(len(paths))
    jobs = build_jobs(len(paths)) if jobs is None else jobs
    if jobs > 1 and threading.active_count() > 1:
        # A fork copies other threads' locks but not the threads that would release them:
        # a child that needs one (logging, the resolver, a driver) waits forever.
        logger.warning("Other threads are running: building in this process, not forking.")
        jobs = 1
    with scratch_fragments() as shared:
        if jobs > 1:
            summary = render_in_processes(
                paths, jobs=jobs, store=store, progress=progress, shared=shared
            )
        else:
            with use_session(BuildSession(bulk=True, shared=shared)):
                summary = render_paths(paths, store=store, progress=progress)
    wanted = set(paths)
    for stale in [path for path in store.paths() if path not in wanted]:
        store.delete(stale)
        summary.removed += 1
    # Walked in chunks: one query excluding every wanted path would hold all of them (and
    # their SQL parameters) in memory at once.
    rows = StoredPage.objects.values_list("pk", "path").iterator(chunk_size=5000)
    forgotten = [pk for pk, path in rows if path not in wanted]
    for chunk in batched(forgotten, 500):
        StoredPage.objects.filter(pk__in=chunk).delete()
    return summary


PARALLEL_FROM = 2000  # paths; below this, starting processes costs more than it saves


def build_jobs(paths: int) -> int:
    """Processes for a build of this many paths: one where others could not see this
    connection's uncommitted work or where forking is unsafe (other threads running)."""
    if paths < PARALLEL_FROM or connection.in_atomic_block or threading.active_count() > 1:
        return 1
    return max(1, settings.GAZETTE_BUILD_JOBS)


def render_in_processes(
    paths: list[str],
    *,
    jobs: int,
    store: PageStore,
    progress=None,
    shared: SharedFragments | None = None,
):
    """Render ``paths`` in ``jobs`` forked processes, a slice at a time, sharing fragments
    through ``shared`` if given."""
    shared_path = shared.path if shared else None
    # Slices of at most CHUNK * 5 paths, and at least four a process, so that a small site
    # is spread over every process too and none waits long for the slowest.
    size = max(1, min(CHUNK * 5, math.ceil(len(paths) / (jobs * 4))))
    slices = [(part, str(store.root), shared_path) for part in batched(paths, size)]
    summary = Summary()
    started = time.monotonic()
    done = 0
    connections.close_all()  # each process opens its own
    # An executor, not a Pool: if a process dies (killed for memory, say), the build fails
    # with BrokenProcessPool instead of waiting for it forever.
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        for part in pool.map(_render_slice, slices):
            summary.merge(part)
            done += part.rendered + len(part.errors)
            if progress:
                progress(done)
    summary.seconds = time.monotonic() - started
    summary.processes = jobs
    return summary


_process_session = None


def _render_slice(job: tuple[list[str], str, str | None]) -> Summary:
    """In a build process: render a slice, keeping one build session for all its slices."""
    global _process_session
    paths, root, shared = job
    if _process_session is None:
        connections.close_all()
        _process_session = BuildSession(
            bulk=True, shared=SharedFragments(shared) if shared else None
        )
    with use_session(_process_session):
        return render_paths(paths, store=PageStore(root))


# A publish renders what its readers reach first in its own task (the article, its front
# page and the front page's feeds). Working out the rest of what shows the article (its
# section, tags, authors, related articles, sitemaps) and rendering the section's first page
# follow in a task just below it; everything else in small tasks at a lower priority, so that
# the next publish never waits long behind them; a listing's deep pages come last.
PUBLISH_PRIORITY = 10  # ahead of Wagtail's search and reference index updates
PLAN_PRIORITY = 5
FOLLOW_UP_PRIORITY = -10
DEEP_PRIORITY = -50
FOLLOW_UP_SIZE = 4  # paths a follow-up task renders: a fraction of a second on a big site


def specific_page(page_id: int):
    """The page with this id as its own model, or None if it is gone."""
    from wagtail.models import Page

    page = Page.objects.filter(pk=page_id).first()
    return page.specific if page else None


def rebuild_for_page(page_id: int) -> Summary | None:
    """Render again what one page's publish, change or removal touches: the first paths
    now, the rest queued (``plan_follow_ups``)."""
    from .paths import first_paths_for_article

    specific = specific_page(page_id)
    if specific is None:
        return render_paths(
            StoredPage.objects.filter(page_id=page_id).values_list("path", flat=True)
        )
    if getattr(specific, "change_shows_everywhere", True):
        return build_site()
    with build_session():  # the edition found for the paths serves the render
        summary = render_paths(first_paths_for_article(specific))
    at_priority(plan_follow_ups_task, PLAN_PRIORITY).enqueue(page_id)
    return summary


def plan_follow_ups(page_id: int) -> Summary:
    """After a publish's first paths: render the section's first page and its feeds, and
    queue every other path that shows the article behind them."""
    from .paths import first_paths_for_article, head_paths_for_article, is_deep_listing_page

    specific = specific_page(page_id)
    if specific is None or not hasattr(specific, "stored_paths"):
        return Summary()
    with build_session():
        done = set(first_paths_for_article(specific))
        head = [path for path in head_paths_for_article(specific) if path not in done]
        rest = set(specific.stored_paths()) - done - set(head)
        summary = render_paths(head, give_way=lambda: urgent_task_waiting(PLAN_PRIORITY))
    deep = sorted(path for path in rest if is_deep_listing_page(path))
    follow_up = summary.left + sorted(rest - set(deep), key=reading_order)
    for start in range(0, len(follow_up), FOLLOW_UP_SIZE):
        enqueue_render(follow_up[start : start + FOLLOW_UP_SIZE], FOLLOW_UP_PRIORITY)
    if deep:
        # Behind any newer publish: a big archive's deep pages take minutes.
        enqueue_render(deep, DEEP_PRIORITY)
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
def plan_follow_ups_task(page_id: int) -> str:
    return str(plan_follow_ups(page_id))


@task()
def render_paths_task(paths: list[str], priority: int = 0) -> str:
    """Render ``paths``; at a low priority, stop for more urgent tasks (a newer publish) and
    queue what is left behind them."""
    give_way = (lambda: urgent_task_waiting(priority)) if priority < 0 else None
    summary = render_paths(paths, give_way=give_way)
    if summary.left:
        at_priority(render_paths_task, priority).enqueue(summary.left, priority)
    return str(summary)


def at_priority(task_, priority: int):
    """The task at this priority where the queue has priorities (the Redis queue has none,
    and refuses a task that asks for one)."""
    return task_.using(priority=priority) if task_.get_backend().supports_priority else task_


def enqueue_render(paths: list[str], priority: int) -> None:
    at_priority(render_paths_task, priority).enqueue(paths, priority)


def urgent_task_waiting(priority: int) -> bool:
    """Whether a task of a higher priority is waiting (the database queue only: the Redis
    queue has no priorities, and its tasks are not seen from here)."""
    from django_tasks import default_task_backend
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not isinstance(default_task_backend, DatabaseBackend):
        return False
    return DBTaskResult.objects.ready().filter(priority__gt=priority).exists()


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
        transaction.on_commit(
            lambda: at_priority(rebuild_for_page_task, PUBLISH_PRIORITY).enqueue(page_id)
        )


def schedule_site_build() -> None:
    if not _paused.get():
        transaction.on_commit(build_site_task.enqueue)


def schedule_render(paths: Iterable[str]) -> None:
    paths = sorted(paths)
    if paths and not _paused.get():
        transaction.on_commit(lambda: render_paths_task.enqueue(paths))
