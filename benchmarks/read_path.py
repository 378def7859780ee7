"""Read path throughput, against nginx serving the same bytes, in one run (issue #3).

    .venv/bin/python benchmarks/read_path.py [--data-dir DIR] [--duration 10]

On a demo data directory (a fresh one in a temporary directory unless --data-dir names one
made by `gazette demo --no-serve`), wrk (-t2 -c50 -d10s, loopback) asks for one demo article:

  (a) nginx serving the article's bytes as a plain static file: the reference;
  (b) `gazette serve` (granian, WSGI, through gazette.publishing.readpath), 1 and 2 workers;
  (c) the nginx recipe (deploy/) in front of `gazette serve`.

Each without Accept-Encoding (identity) and with `Accept-Encoding: br`, and twice: pinned
(wrk on one core, the server on another, with taskset) and unpinned (both share every core).
Goals: (b) at least 50% of (a)'s requests/s, (c) at least 90%, and no errors.
Installs wrk and nginx with apt-get when they are missing (as root).
"""

import argparse
import contextlib
import http.client
import importlib.util
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NGINX = Path("/usr/sbin/nginx")
SERVE_GOAL, RECIPE_GOAL = 0.50, 0.90
CHILDREN = resource.RUSAGE_CHILDREN
# Above this many CPUs used by other processes during a run, its figures are marked disturbed.
DISTURBED = 0.10
SKIP_TOP = {"ru", "tags", "authors", "sitemaps", "about", "privacy", "support"}


def load_renderer():
    spec = importlib.util.spec_from_file_location("render_nginx", ROOT / "deploy/render_nginx.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


render_nginx = load_renderer()


def ensure_tools() -> None:
    wanted = {
        "wrk": shutil.which("wrk"),
        "nginx-light": NGINX.exists(),
        "libnginx-mod-http-brotli-static": render_nginx.BROTLI_MODULE.exists(),
    }
    missing = [package for package, present in wanted.items() if not present]
    if not shutil.which("taskset"):
        missing.append("util-linux")
    if not missing:
        return
    if os.geteuid() != 0:
        sys.exit(f"Missing tools; install them first: sudo apt-get install {' '.join(missing)}")
    print(f"Installing {', '.join(missing)} with apt-get…", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing],
        check=True,
        env=env,
    )


def gazette_env(data_dir: Path) -> dict:
    """The demo's settings on ``data_dir`` alone (its SQLite, store, static and media)."""
    ignored = {
        "DATABASE_URL",
        "REDIS_URL",
        "DJANGO_SETTINGS_MODULE",
        "GAZETTE_STORE_DIR",
        "GAZETTE_STATIC_ROOT",
        "GAZETTE_MEDIA_ROOT",
    }
    env = {key: value for key, value in os.environ.items() if key not in ignored}
    env.update(
        DJANGO_SETTINGS_MODULE="gazette.demo.settings",
        GAZETTE_DATA_DIR=str(data_dir),
        GAZETTE_LOG_LEVEL="WARNING",
    )
    return env


def make_demo(data_dir: Path) -> None:
    print(f"Creating the demo in {data_dir} (gazette demo --no-serve)…", flush=True)
    done = subprocess.run(
        [sys.executable, "-m", "gazette", "demo", "--no-serve"],
        cwd=ROOT,
        env=gazette_env(data_dir),
        capture_output=True,
        text=True,
    )
    if done.returncode:
        sys.exit(f"gazette demo failed:\n{done.stdout}\n{done.stderr}")
    for line in done.stdout.splitlines():
        if "pages rendered" in line:
            print(f"  {line.strip()}")


def pick_article(store: Path) -> str:
    """The first English article, in path order: /<section>/<slug>/."""
    for page in sorted(store.glob("*/*/index.html")):
        section, slug = page.parent.parent.name, page.parent.name
        if section not in SKIP_TOP and slug != "page":
            return f"/{section}/{slug}/"
    sys.exit(f"No article found in {store}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


TICKS = os.sysconf("SC_CLK_TCK")


def machine_busy() -> float:
    """CPU seconds all CPUs spent busy (user, system, irq, steal); softirq, which is mostly
    the benchmark's own loopback traffic, left out."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    user, nice, system, _idle, _iowait, irq, _softirq, steal = map(int, fields)
    return (user + nice + system + irq + steal) / TICKS


def group_cpu(groups: set[int]) -> float:
    """CPU seconds used so far by the processes of these process groups (a server's workers)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[2]) in groups:
            total += int(fields[11]) + int(fields[12])
    return total / TICKS


def wait_until_idle(limit: float) -> None:
    """On a shared machine: wait up to ``limit`` seconds for other processes to go quiet."""
    deadline, told = time.monotonic() + limit, False
    while limit > 0:
        busy = machine_busy()
        time.sleep(1)
        others = machine_busy() - busy
        if others < DISTURBED:
            return
        if time.monotonic() > deadline:
            print(f"  other processes still use {others:.2f} CPUs; measuring anyway", flush=True)
            return
        if not told:
            print(f"  waiting for other processes ({others:.2f} CPUs) to go quiet…", flush=True)
            told = True


def pinned(cpus: list[int] | None) -> list[str]:
    return ["taskset", "-c", ",".join(map(str, cpus))] if cpus else []


def get(port: int, path: str, accept: str | None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path, headers={"Accept-Encoding": accept} if accept else {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


@contextlib.contextmanager
def running(argv: list, *, log: Path, port: int, env: dict | None = None, stop=signal.SIGTERM):
    """A server process, until it answers on ``port``; stopped (and waited for) afterwards."""
    with open(log, "w") as output:
        process = subprocess.Popen(
            [str(part) for part in argv],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its workers share its group, so they can be stopped too
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                sys.exit(f"{argv} exited ({process.returncode}):\n{log.read_text()}")
            try:
                get(port, "/", None)
                break
            except OSError:
                if time.monotonic() > deadline:
                    sys.exit(f"{argv} did not answer on port {port}:\n{log.read_text()}")
                time.sleep(0.1)
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(stop)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@dataclass
class Result:
    requests_per_second: float
    transfer: str
    non_2xx: int
    socket_errors: int
    latency: str
    # CPUs used on average during the run: by the server, by wrk, by anything else.
    server_cpus: float = 0.0
    wrk_cpus: float = 0.0
    other_cpus: float = 0.0


def wrk(url: str, *, accept: str | None, cpus, duration: int, args, groups=()) -> Result:
    argv = [
        *pinned(cpus),
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{duration}s",
        *(["-H", f"Accept-Encoding: {accept}"] if accept else []),
        url,
    ]
    busy, server, children = machine_busy(), group_cpu(set(groups)), resource.getrusage(CHILDREN)
    started = time.monotonic()
    output = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    elapsed = time.monotonic() - started
    after = resource.getrusage(CHILDREN)
    server_used = group_cpu(set(groups)) - server
    wrk_used = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    other_used = max(0.0, machine_busy() - busy - server_used - wrk_used)

    def find(pattern: str, default: str = "0") -> str:
        match = re.search(pattern, output)
        return match.group(1) if match else default

    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return Result(
        requests_per_second=float(find(r"Requests/sec:\s+([\d.]+)")),
        transfer=find(r"Transfer/sec:\s+(\S+)", "?") + "/s",
        non_2xx=int(find(r"Non-2xx or 3xx responses: (\d+)")),
        socket_errors=sum(map(int, socket_errors.groups())) if socket_errors else 0,
        latency=find(r"Latency\s+(\S+)", "?"),
        server_cpus=server_used / elapsed,
        wrk_cpus=wrk_used / elapsed,
        other_cpus=other_used / elapsed,
    )


@dataclass
class Row:
    mode: str
    cores: str
    server: str
    coding: str
    result: Result
    goal: float | None = None
    ratio: float = 0.0


def measure(rows, *, mode, cores, server, port, url_for, expected, groups, cpus, args) -> None:
    """Check the answer's bytes, warm up, then run wrk (best of --rounds), per encoding."""
    for coding, (url_path, accept, body) in url_for.items():
        status, headers, received = get(port, url_path, accept)
        encoding = headers.get("Content-Encoding")
        if status != 200 or received != body:
            sys.exit(f"{server}: {url_path} ({coding}) answered {status}, {encoding}, wrong bytes")
        url = f"http://127.0.0.1:{port}{url_path}"
        results = []
        for _ in range(args.rounds):
            wait_until_idle(args.wait_idle)
            wrk(url, accept=accept, cpus=cpus, duration=args.warmup, args=args)
            results.append(
                wrk(url, accept=accept, cpus=cpus, duration=args.duration, args=args, groups=groups)
            )
        result = max(results, key=lambda result: result.requests_per_second)
        rows.append(Row(mode, cores, server, coding, result, goal=expected))
        print(
            f"  {mode:<9} {server:<44} {coding:<8} "
            + ", ".join(f"{each.requests_per_second:,.0f}" for each in results)
            + f" req/s; errors {result.non_2xx + result.socket_errors}; CPUs used: server "
            f"{result.server_cpus:.2f}, wrk {result.wrk_cpus:.2f}, others {result.other_cpus:.2f}",
            flush=True,
        )


def nginx_reference_site(root: Path, port: int) -> str:
    return f"server {{\n    listen 127.0.0.1:{port};\n    root {root};\n}}\n"


def run_mode(rows, *, mode, wrk_cpus, server_cpus, data_dir, work, article, args) -> None:
    store = data_dir / "store"
    page = store / article.strip("/") / "index.html"
    bodies = {"identity": page.read_bytes(), "br": page.with_name("index.html.br").read_bytes()}
    all_cpus = sorted(os.sched_getaffinity(0))
    nginx_workers = len(server_cpus or all_cpus)
    if server_cpus:
        cores = f"wrk: cpu{wrk_cpus[0]}, server: cpu{server_cpus[0]}"
    else:
        cores = f"all {len(all_cpus)} shared"
    common = {"cpus": wrk_cpus, "args": args, "mode": mode, "cores": cores}
    article_urls = {
        "identity": (article, None, bodies["identity"]),
        "br": (article, "br", bodies["br"]),
    }
    env = gazette_env(data_dir)
    nginx_cmd = [*pinned(server_cpus), NGINX]

    # (a) The reference: nginx, the same bytes as plain files.
    reference = work / f"{mode}-reference"
    (reference / "root").mkdir(parents=True)
    (reference / "root" / "page.html").write_bytes(bodies["identity"])
    (reference / "root" / "page.html.br").write_bytes(bodies["br"])
    port = free_port()
    (reference / "site.conf").write_text(nginx_reference_site(reference / "root", port))
    conf = reference / "nginx.conf"
    conf.write_text(
        render_nginx.standalone_config(
            reference, site_conf=reference / "site.conf", workers=nginx_workers, brotli=False
        )
    )
    with running(
        [*nginx_cmd, "-p", reference, "-c", conf, "-e", reference / "error.log"],
        log=reference / "output.log",
        port=port,
    ) as nginx:
        measure(
            rows,
            server=f"nginx static file ({nginx_workers} worker{'s' * (nginx_workers > 1)})",
            port=port,
            url_for={
                "identity": ("/page.html", None, bodies["identity"]),
                "br": ("/page.html.br", "br", bodies["br"]),
            },
            expected=None,
            groups={nginx.pid},
            **common,
        )

    # (b) gazette serve: granian, the read path in front of Django.
    for workers in args.serve_workers:
        port = free_port()
        with running(
            [
                *pinned(server_cpus),
                sys.executable,
                "-m",
                "gazette",
                "serve",
                "--port",
                port,
                "--workers",
                workers,
            ],
            log=work / f"{mode}-serve-{workers}.log",
            port=port,
            env=env,
            stop=signal.SIGINT,
        ) as serve:
            measure(
                rows,
                server=f"gazette serve --workers {workers}",
                port=port,
                url_for=article_urls,
                expected=SERVE_GOAL,
                groups={serve.pid},
                **common,
            )

    # (c) The nginx recipe, in front of gazette serve.
    upstream, port = free_port(), free_port()
    recipe = work / f"{mode}-recipe"
    conf = render_nginx.write_standalone(
        recipe,
        workers=nginx_workers,
        store_dir=store,
        static_root=data_dir / "static",
        media_root=data_dir / "media",
        upstream_port=upstream,
        listen=f"127.0.0.1:{port}",
    )
    serve_argv = [*pinned(server_cpus), sys.executable, "-m", "gazette", "serve"]
    with (
        running(
            [*serve_argv, "--port", upstream, "--workers", "1"],
            log=work / f"{mode}-recipe-serve.log",
            port=upstream,
            env=env,
            stop=signal.SIGINT,
        ) as serve,
        running(
            [*nginx_cmd, "-p", recipe, "-c", conf, "-e", recipe / "error.log"],
            log=recipe / "output.log",
            port=port,
        ) as nginx,
    ):
        measure(
            rows,
            server=f"nginx recipe ({nginx_workers} worker{'s' * (nginx_workers > 1)})"
            " + gazette serve",
            port=port,
            url_for=article_urls,
            expected=RECIPE_GOAL,
            groups={serve.pid, nginx.pid},
            **common,
        )


def report(rows: list[Row], args) -> bool:
    for row in rows:
        reference = next(
            other
            for other in rows
            if other.mode == row.mode and other.coding == row.coding and other.goal is None
        )
        row.ratio = row.result.requests_per_second / reference.result.requests_per_second
    print(
        f"\nwrk -t{args.threads} -c{args.connections} -d{args.duration}s on loopback, best of "
        f"{args.rounds}; identity: no Accept-Encoding; br: -H 'Accept-Encoding: br'.\n"
        "CPUs used: average over the run by the server's processes / by wrk / by other "
        f"processes on this machine (over {DISTURBED} marks the run disturbed: *)."
    )
    header = (
        f"{'mode':<9} {'cores':<23} {'server':<44} {'encoding':<8} {'req/s':>8} "
        f"{'transfer':>11} {'non-2xx':>7} {'sock err':>8} {'latency':>9} "
        f"{'CPUs used':>15}  {'vs nginx':>8}  goal"
    )
    print(header)
    print("-" * len(header))
    all_met = True
    for row in rows:
        result = row.result
        errors = result.non_2xx + result.socket_errors
        if row.goal is None:
            verdict = "reference"
        else:
            met = row.ratio >= row.goal and errors == 0
            all_met &= met
            verdict = f">= {row.goal:.0%}: {'met' if met else 'NOT MET'}"
        used = f"{result.server_cpus:.2f}/{result.wrk_cpus:.2f}/{result.other_cpus:.2f}"
        disturbed = "*" if result.other_cpus > DISTURBED else " "
        print(
            f"{row.mode:<9} {row.cores:<23} {row.server:<44} {row.coding:<8} "
            f"{result.requests_per_second:>8,.0f} {result.transfer:>11} {result.non_2xx:>7} "
            f"{result.socket_errors:>8} {result.latency:>9} {used:>15}{disturbed} "
            f"{row.ratio:>8.0%}  {verdict}"
        )
    print()
    for goal, name in [(SERVE_GOAL, "gazette serve"), (RECIPE_GOAL, "the nginx recipe")]:
        for mode in dict.fromkeys(row.mode for row in rows):
            figures = {}
            for row in rows:
                if row.mode == mode and row.goal == goal:
                    errors = row.result.non_2xx + row.result.socket_errors
                    figures.setdefault(row.server, []).append((row.ratio, errors))
            for server, pairs in figures.items():
                lowest = min(ratio for ratio, _ in pairs)
                errors = sum(count for _, count in pairs)
                holds = lowest >= goal and errors == 0
                print(
                    f"Goal: {name} >= {goal:.0%} of nginx's req/s, no errors ({mode}, {server}): "
                    f"{'holds' if holds else 'does NOT hold'} "
                    f"(lowest {lowest:.0%} over identity and br, {errors} errors)"
                )
    if any(row.result.other_cpus > DISTURBED for row in rows):
        print(
            "* Other processes used CPU during these runs: their figures (and ratios) are "
            "disturbed; run again on an idle machine, or with --rounds 3 --wait-idle 600."
        )
    return all_met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="an existing demo data directory")
    parser.add_argument("--path", help="the article to ask for (default: the first one)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds before each run")
    parser.add_argument(
        "--rounds", type=int, default=1, help="runs per figure; the best is kept (default 1)"
    )
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=0,
        metavar="SECONDS",
        help="before each run, wait up to this long for other processes to go quiet",
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--serve-workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--modes", nargs="+", choices=["pinned", "unpinned"], default=["pinned", "unpinned"]
    )
    args = parser.parse_args()

    ensure_tools()
    work = Path(tempfile.mkdtemp(prefix="gazette-read-path-"))
    try:
        data_dir = args.data_dir.resolve() if args.data_dir else work / "data"
        if not args.data_dir:
            make_demo(data_dir)
        article = args.path or pick_article(data_dir / "store")
        page = data_dir / "store" / article.strip("/") / "index.html"
        cpus = sorted(os.sched_getaffinity(0))
        print(
            f"Article {article}: {page.stat().st_size:,} bytes, br "
            f"{page.with_name('index.html.br').stat().st_size:,} bytes; "
            f"{len(cpus)} CPUs ({', '.join(map(str, cpus))}); nginx {nginx_version()}; "
            f"{granian_version()}"
        )
        rows: list[Row] = []
        for mode in args.modes:
            if mode == "pinned" and len(cpus) < 2:
                print("Pinned mode needs two CPUs; skipped.")
                continue
            wrk_cpus, server_cpus = ([cpus[0]], [cpus[1]]) if mode == "pinned" else (None, None)
            run_mode(
                rows,
                mode=mode,
                wrk_cpus=wrk_cpus,
                server_cpus=server_cpus,
                data_dir=data_dir,
                work=work,
                article=article,
                args=args,
            )
        all_met = report(rows, args)
        print(f"\nAll goals {'hold' if all_met else 'do NOT all hold'}.")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def nginx_version() -> str:
    output = subprocess.run([NGINX, "-v"], capture_output=True, text=True).stderr
    return output.strip().rpartition("/")[2]


def granian_version() -> str:
    output = subprocess.run(
        [sys.executable, "-m", "granian", "--version"], capture_output=True, text=True
    ).stdout
    return output.strip().replace("python -m ", "")


if __name__ == "__main__":
    main()
