"""Full build of the page store for a generated site: pages/s, peak memory, where time goes.

Builds run in child processes, one per site size, into an empty store, as `gazette site
build` runs them: the paths listed, rendered by GAZETTE_BUILD_JOBS processes (default one per
core), stale pages removed. Peak memory is the largest resident set of the build's processes.
With --sample N only every n-th of the site's paths is rendered (N in all), and the full
build's time is extrapolated from that rate. Goal (issue #3): 1,000 pages/s on 2 cores,
memory flat in the number of articles.

    .venv/bin/python benchmarks/build_site.py --articles 2000 --compare 500      # quick
    .venv/bin/python benchmarks/build_site.py --data-dir /tmp/gz-gen-100k        # 100k, full
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
GOAL_RATE = 1000
TOLERANCE = 1.25  # "flat": peak memory at the larger size within 25% of the smaller one's


def child_env(data_dir: Path) -> dict:
    env = dict(os.environ)
    env["GAZETTE_DATA_DIR"] = str(data_dir)
    env["GAZETTE_STORE_DIR"] = str(data_dir / "store-benchmark")
    env.setdefault("DJANGO_SETTINGS_MODULE", "gazette.demo.settings")
    return env


def ensure_site(articles: int, data_dir: Path | None) -> Path:
    data_dir = data_dir or Path(f"/tmp/gazette-bench-{articles}")  # noqa: S108 - throwaway
    if (data_dir / "gazette.sqlite3").exists():
        print(f"Reusing the site in {data_dir}")
        return data_dir
    command = [sys.executable, str(HERE / "generate_site.py"), "--articles", str(articles)]
    subprocess.run([*command, "--data-dir", str(data_dir)], check=True)
    return data_dir


def run_child(mode: str, data_dir: Path, sample: int) -> dict:
    store = data_dir / "store-benchmark"
    shutil.rmtree(store, ignore_errors=True)
    command = [sys.executable, __file__, "--child", mode, "--data-dir", str(data_dir)]
    with subprocess.Popen(
        [*command, "--sample", str(sample)], env=child_env(data_dir), stdout=subprocess.PIPE
    ) as child:
        peaks = watch_memory(child)
        output = child.stdout.read().decode()
    if child.returncode:
        raise SystemExit(f"the {mode} process failed ({child.returncode})")
    lines = output.splitlines()
    print("\n".join(line for line in lines if not line.startswith("{")))
    result = json.loads(next(line for line in reversed(lines) if line.startswith("{")))
    result.update(peaks)
    return result


def memory_of(pid: int) -> tuple[int, int] | None:
    """(private, file-backed) resident kB of a process: RssAnon is what the process itself
    allocated; RssFile is mostly SQLite's memory-mapped database (the OS page cache, shared
    by every process that reads it, and larger for a larger database)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            fields = dict(line.split(":", 1) for line in status if line.startswith("Rss"))
    except (FileNotFoundError, ProcessLookupError):
        return None
    if "RssAnon" not in fields:  # exiting: a zombie has no memory left
        return None
    return int(fields["RssAnon"].split()[0]), int(fields["RssFile"].split()[0])


def descendants(pid: int) -> list[int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


def watch_memory(child: subprocess.Popen) -> dict:
    """Peak private and file-backed memory of the build's process and its render processes,
    sampled every 0.2 s while it runs."""
    peak_anon = peak_main_anon = peak_file = 0
    while child.poll() is None:
        main = memory_of(child.pid)
        if main:
            peak_main_anon = max(peak_main_anon, main[0])
            peak_file = max(peak_file, main[1])
        for pid in descendants(child.pid):
            found = memory_of(pid)
            if found:
                peak_anon = max(peak_anon, found[0])
                peak_file = max(peak_file, found[1])
        time.sleep(0.2)
    return {
        "anon_mb": max(peak_anon, peak_main_anon) / 1024,
        "anon_detail": f"main {peak_main_anon / 1024:.0f} MB, largest render process "
        f"{peak_anon / 1024:.0f} MB; file-backed up to {peak_file / 1024:.0f} MB",
    }


# --- in the child process -------------------------------------------------------------------


def child_build(sample: int) -> dict:
    from gazette.publishing.building import build_jobs, build_site, render_in_processes
    from gazette.publishing.models import StoredPage
    from gazette.publishing.paths import site_paths
    from gazette.publishing.session import scratch_fragments
    from gazette.publishing.store import PageStore

    # Emptied without Django's delete collector, which would load every row and hold them in
    # this process's memory, where the build's peak is measured.
    StoredPage.shows.through.objects.all()._raw_delete(StoredPage.objects.db)
    StoredPage.objects.all()._raw_delete(StoredPage.objects.db)
    started = time.monotonic()
    paths = list(site_paths())
    listed = time.monotonic() - started
    jobs = build_jobs(len(paths))
    if sample and len(paths) > sample:
        # Every n-th path, so that each kind of page is in the sample as in the site.
        chosen = paths[:: len(paths) // sample][:sample]
        with scratch_fragments() as shared:
            summary = render_in_processes(chosen, jobs=jobs, store=PageStore(), shared=shared)
    else:
        started = time.monotonic()
        summary = build_site(store=PageStore())
        summary.seconds = time.monotonic() - started  # listing and clean-up included
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "paths": len(paths),
        "listing_seconds": listed,
        "rendered": summary.rendered,
        "seconds": summary.seconds,
        "errors": len(summary.errors),
        "sampled": bool(sample) and len(paths) > sample,
        "jobs": jobs,
        "maxrss_mb": max(own, children),
        "rss_detail": f"main {own:.0f} MB, largest build process {children:.0f} MB",
    }


def child_analyse(sample: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from gazette.newsroom.models import ArticlePage, Author, SectionPage
    from gazette.publishing.building import render_paths
    from gazette.publishing.rendering import Renderer
    from gazette.publishing.store import PageStore

    article = ArticlePage.objects.published().defer_streamfields().first()
    section = SectionPage.objects.live().first()
    tag = article.tags.first()
    pages = {
        "home": "/",
        "section": section.relative_path(),
        "section page 2": f"{section.relative_path()}page/2/",
        "tag": f"/tags/{tag.slug}/",
        "author": f"/authors/{Author.objects.first().slug}/",
        "article": article.relative_path(),
        "site rss": "/rss.xml",
    }
    renderer = Renderer()
    for path in pages.values():  # warm caches (templates, renditions, settings)
        renderer.render(path)
    queries = {}
    for name, path in pages.items():
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            status = renderer.render(path).status
            elapsed = time.perf_counter() - started
        queries[name] = (path, status, len(captured), elapsed * 1000)
    print("Queries per page (one render, warm):")
    for name, (path, status, count, ms) in queries.items():
        print(f"  {name:15} {path:32} {status}  {count:3} queries  {ms:6.1f} ms")
    other = ArticlePage.objects.published().defer_streamfields()[1].relative_path()
    profiler = cProfile.Profile()
    profiler.enable()
    render_paths([other], store=PageStore())  # render, compress, write, record
    profiler.disable()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(15)
    print(f"cProfile of render_paths(['{other}']) (render + store write + record), top 15:")
    print("\n".join(text.getvalue().splitlines()[4:]).strip())
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(10)
    print("... and top 10 by own time (tottime):")
    print("\n".join(text.getvalue().splitlines()[4:]).strip())
    return {"queries": {name: value[2] for name, value in queries.items()}}


def child_main(mode: str, data_dir: Path, sample: int) -> None:
    sys.path.insert(0, str(HERE.parent))
    import django

    django.setup()
    result = child_build(sample) if mode == "build" else child_analyse(sample)
    print(json.dumps(result))


# --- in the parent --------------------------------------------------------------------------


def report(articles: int, result: dict) -> float:
    rate = result["rendered"] / result["seconds"] if result["seconds"] else 0
    kind = "sample of every n-th path" if result["sampled"] else "full build"
    print(
        f"{articles:>7} articles: {result['paths']} paths (listed in "
        f"{result['listing_seconds']:.1f} s); {kind} in {result['jobs']} processes: "
        f"{result['rendered']} pages in {result['seconds']:.1f} s = {rate:.1f} pages/s, "
        f"peak RSS {result['maxrss_mb']:.0f} MB ({result['rss_detail']}); peak private "
        f"memory {result['anon_mb']:.0f} MB ({result['anon_detail']})"
        + (f", {result['errors']} errors" if result["errors"] else "")
    )
    if result["sampled"] and rate:
        minutes = result["paths"] / rate / 60
        print(
            f"         extrapolated full build: {result['paths']} pages / {rate:.1f}/s"
            f" = {minutes:.0f} min ({minutes / 60:.1f} h)"
        )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000, help="the main size")
    parser.add_argument("--data-dir", type=Path, help="reuse this generated site (main size)")
    parser.add_argument("--compare", type=int, help="a smaller size for memory (default N/10)")
    parser.add_argument("--compare-data-dir", type=Path, help="reuse this site (smaller size)")
    parser.add_argument(
        "--sample", type=int, default=0, help="time only this many paths (default: full build)"
    )
    parser.add_argument("--no-analyse", action="store_true", help="skip queries and profile")
    parser.add_argument("--child", choices=["build", "analyse"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child_main(args.child, args.data_dir, args.sample)
    if (
        args.data_dir
        and (args.data_dir / "gazette.sqlite3").exists()
        and "--articles" not in sys.argv
    ):
        import sqlite3

        with sqlite3.connect(args.data_dir / "gazette.sqlite3") as db:
            args.articles = db.execute("SELECT count(*) FROM newsroom_articlepage").fetchone()[0]
    compare = args.compare or max(args.articles // 10, 100)
    results = {}
    for articles, data_dir in ((compare, args.compare_data_dir), (args.articles, args.data_dir)):
        data_dir = ensure_site(articles, data_dir)
        print(f"Building {articles} articles ({data_dir}) ...", flush=True)
        results[articles] = (data_dir, run_child("build", data_dir, args.sample))
    print("\n== Build ==")
    rates = {articles: report(articles, result) for articles, (_, result) in results.items()}
    small, large = results[compare][1], results[args.articles][1]
    growth = large["anon_mb"] / small["anon_mb"]
    rss_growth = large["maxrss_mb"] / small["maxrss_mb"]
    rate = rates[args.articles]
    print(f"Goal: {GOAL_RATE} pages/s on 2 cores, peak memory flat in the number of articles.")
    print(
        f"  rate: {rate:.1f} pages/s in {large['jobs']} processes on {os.cpu_count()} cores: "
        f"{'MET' if rate >= GOAL_RATE else 'NOT MET'}"
    )
    print(
        f"  memory (private, largest process): {small['anon_mb']:.0f} MB at {compare} -> "
        f"{large['anon_mb']:.0f} MB at {args.articles} articles (x{growth:.2f}): "
        f"{'flat' if growth <= TOLERANCE else 'NOT flat'} (tolerance x{TOLERANCE})"
        + (" [the larger size is a sample]" if large["sampled"] else "")
    )
    print(
        f"  peak RSS, file-backed pages included: {small['maxrss_mb']:.0f} -> "
        f"{large['maxrss_mb']:.0f} MB (x{rss_growth:.2f}); the difference is mostly SQLite's "
        "memory-mapped database file, which grows with the site and is shared page cache"
    )
    if not args.no_analyse:
        print("\n== One render of each page type ==", flush=True)
        run_child("analyse", results[args.articles][0], args.sample)


if __name__ == "__main__":
    main()
