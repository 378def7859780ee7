"""Publish latency: from an article's publish() returning to its page, the home page and the
site RSS feed holding it in the page store, with a real worker process doing the rebuilds.

The store is first built for the pages a publish touches (home and its feeds, each section's
first pages and feeds, each tag's and author's first page, the sitemaps, the newest articles of
each section), then K articles are published one at a time through the editors' path
(``section.add_child`` + ``save_revision().publish()``) while ``gazette worker`` runs (or
``gazette db_worker --interval X`` with --worker-interval). Goal (issue #3): p95 under 1 s.

    .venv/bin/python benchmarks/publish_latency.py --data-dir /tmp/gz-gen-100k
    .venv/bin/python benchmarks/publish_latency.py --articles 2000     # generates a site
"""

import argparse
import math
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate_site import generate_site, setup_django  # noqa: E402

GOAL_P95 = 1.0
RUN = int(time.time())


def prime_paths() -> list[str]:
    from gazette.newsroom.models import ArticlePage, Author, HomePage, SectionPage
    from gazette.publishing.paths import FEED_NAMES, HEAD_PAGES, edition_paths, tag_paths
    from gazette.publishing.sitemaps import sitemap_paths

    home = HomePage.objects.live().get(locale__language_code="en")
    paths = edition_paths(home)
    for section in SectionPage.objects.live().child_of(home):
        base = section.relative_path()
        paths += [base, *(f"{base}page/{n}/" for n in range(2, HEAD_PAGES + 1))]
        paths += [f"{base}{name}" for name in FEED_NAMES]
        newest = ArticlePage.objects.published().child_of(section).defer_streamfields()[:20]
        paths += [article.relative_path() for article in newest]
    paths += [path for path in tag_paths(home) if path.endswith("/") and "/page/" not in path]
    paths += [f"/authors/{author.slug}/" for author in Author.objects.all()]
    return paths + sitemap_paths()


def start_worker(interval: float | None) -> subprocess.Popen:
    gazette = [sys.executable, "-m", "gazette"]
    if interval is None:
        command = [*gazette, "worker", "--no-clock"]
    else:
        command = [*gazette, "db_worker", "--queue-name", "*", "--interval", str(interval)]
        command += ["--no-startup-delay", "--no-reload"]
    log = Path(os.environ["GAZETTE_STORE_DIR"]).with_name("worker.log")
    print("Worker:", " ".join(command[1:]), f"(log: {log})")
    with log.open("ab") as output:
        return subprocess.Popen(
            command, env=dict(os.environ), cwd=HERE.parent, stdout=output, stderr=output
        )


def wait_for_idle_queue(timeout: float) -> None:
    """Let the worker finish what is already queued (search index, reference index...)."""
    from django_tasks_db.models import DBTaskResult

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # Deep listing pages (priority < 0) give way to a publish: they may stay queued.
        busy = DBTaskResult.objects.filter(status__in=["READY", "RUNNING"], priority__gte=0)
        if not busy.exists():
            return
        time.sleep(0.2)
    print("  the queue is still busy; measuring anyway")


def publish_one(number: int, rng, section, authors, tags):
    from gazette.newsroom.models import ArticleByline, ArticlePage

    # The run's start time keeps slugs apart from earlier runs on the same site.
    title = f"Latency probe {RUN} {number} {rng.randrange(10**9)}"
    article = ArticlePage(
        title=title,
        slug=f"latency-probe-{RUN}-{number}-{rng.randrange(10**9)}",
        standfirst=f"What happened in probe {number}.",
        body=[("paragraph", f"<p>Paragraph {p} of the probe.</p>") for p in range(5)],
    )
    article.bylines = [ArticleByline(author=rng.choice(authors))]
    article.tags.set(rng.sample(tags, 2))
    section.add_child(instance=article)
    started = time.monotonic()
    article.save_revision().publish()
    return article, time.monotonic(), time.monotonic() - started


def wait_for(checks: dict, since: float, timeout: float) -> dict:
    """Poll the store until each check holds; seconds from ``since`` to each."""
    seen = {}
    while len(seen) < len(checks) and time.monotonic() - since < timeout:
        for name, check in checks.items():
            if name not in seen and check():
                seen[name] = time.monotonic() - since
        time.sleep(0.005)
    return {name: seen.get(name, math.inf) for name in checks}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def show(seconds: float) -> str:
    return f"{seconds:.3f} s" if math.isfinite(seconds) else "timeout"


def contains(store, path: str, text: bytes):
    return lambda: text in (store.read(path) or b"")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000, help="size of a new site")
    parser.add_argument("--data-dir", type=Path, help="reuse (or create) this site")
    parser.add_argument("--count", type=int, default=20, help="articles to publish (K)")
    parser.add_argument("--gap", type=float, default=1.0, help="seconds between publishes")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument(
        "--worker-interval",
        type=float,
        help="run db_worker with this idle poll interval instead of `gazette worker` (1 s)",
    )
    args = parser.parse_args()
    data_dir = args.data_dir or Path(f"/tmp/gazette-bench-{args.articles}")  # noqa: S108
    fresh = not (data_dir / "gazette.sqlite3").exists()
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["GAZETTE_STORE_DIR"] = str(data_dir / "store-latency")
    setup_django(data_dir)
    if fresh:
        print(f"Generating {args.articles} articles in {data_dir}")
        generate_site(articles=args.articles)

    import random

    from django.db import close_old_connections
    from taggit.models import Tag

    from gazette.newsroom.models import ArticlePage, Author, SectionPage
    from gazette.publishing.building import render_paths
    from gazette.publishing.store import PageStore

    store = PageStore()
    paths = prime_paths()
    print(f"Priming the store ({store.root}) with {len(paths)} paths ...", flush=True)
    print(" ", render_paths(paths, store=store))
    close_old_connections()
    rng = random.Random(7)
    section = SectionPage.objects.live().get(slug="news")
    authors = list(Author.objects.all()[:10])
    tags = list(Tag.objects.filter(slug__in=[f"topic-{n}" for n in range(1, 21)]))
    print(f"Site: {ArticlePage.objects.count()} articles")
    worker = start_worker(args.worker_interval)
    results = []
    try:
        time.sleep(3)  # the worker's start-up (and its random start-up delay)
        wait_for_idle_queue(args.timeout)
        for number in range(1, args.count + 1):
            article, returned, publish_seconds = publish_one(number, rng, section, authors, tags)
            path, title = article.relative_path(), article.title.encode()
            checks = {
                "article": contains(store, path, title),
                "home": contains(store, "/", title),
                "rss": contains(store, "/rss.xml", path.encode()),
                # Not part of the goal: the section's first page follows in the next task.
                "section": contains(store, section.relative_path(), title),
            }
            seen = wait_for(checks, returned, args.timeout)
            seen["all"] = max(seen["article"], seen["home"], seen["rss"])
            results.append(seen)
            print(
                f"  {number:2} publish() {publish_seconds * 1000:5.0f} ms, then "
                + ", ".join(f"{name} {show(seconds)}" for name, seconds in seen.items()),
                flush=True,
            )
            time.sleep(args.gap)
    finally:
        worker.terminate()  # db_worker finishes its current task first: do not wait for it
        try:
            worker.wait(timeout=5)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    print(f"\n== Publish latency ({ArticlePage.objects.count()} articles, K={len(results)}) ==")
    for name in ("article", "home", "rss", "all", "section"):
        values = [result[name] for result in results]
        print(
            f"  {name:8} p50 {show(percentile(values, 0.5))}  p95 "
            f"{show(percentile(values, 0.95))}  max {show(max(values))}"
        )
    p95 = percentile([result["all"] for result in results], 0.95)
    verdict = "MET" if p95 < GOAL_P95 else "NOT MET"
    print(f"(timeout = not in the store within --timeout {args.timeout:.0f} s)")
    print("all = article, home and rss; the section's first page is shown, not part of it")
    print(f"Goal: p95 < {GOAL_P95:.0f} s from publish() returning to all three: {verdict}")


if __name__ == "__main__":
    main()
