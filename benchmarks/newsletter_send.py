"""Send one newsletter issue to N confirmed subscribers over SMTP: messages/s, peak memory.

Each size runs in a child process with its own data directory: a generated newsroom of 10
articles (generate_site.py), N confirmed subscribers, an issue of those 10 articles, DKIM
on (RSA-2048 by default). The messages go to a fast local sink, Postfix's ``smtp-sink``
(Debian package ``postfix``; ``apt-get install -y --no-install-recommends postfix``), or
with ``--sink aiosmtpd`` to a Python one (slower: it competes for the same cores).
``prepare()`` runs in the child; then W ``gazette newsletter send`` processes share the
send, as on a real deployment. Peak memory is the largest high-water mark (VmHWM) of those
processes; "flat" compares it with a send to a tenth of the list (``--compare``).

Goal (issue #4): at least 800 messages/s on this 2-core machine, memory that does not grow
with the list.

    .venv/bin/python benchmarks/newsletter_send.py --subscribers 10000
    .venv/bin/python benchmarks/newsletter_send.py --subscribers 100000 --workers 2
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
GOAL_RATE = 800
TOLERANCE = 1.25  # "flat": peak memory within 25% of the smaller send's


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def base_env(data_dir: Path) -> dict:
    env = dict(os.environ)
    env.update(
        GAZETTE_DATA_DIR=str(data_dir),
        GAZETTE_STORE_DIR=str(data_dir / "store"),
        DJANGO_SETTINGS_MODULE="gazette.demo.settings",
        GAZETTE_LOG_LEVEL="WARNING",
    )
    return env


def new_site(prefix: str, *, articles: int) -> Path:
    """A fresh generated newsroom of this many articles in a new directory under /tmp."""
    data_dir = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    subprocess.run(
        [sys.executable, str(HERE / "generate_site.py"), "--articles", str(articles)]
        + ["--data-dir", str(data_dir)],
        env=base_env(data_dir),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return data_dir


def make_list(subscribers: int):
    """The weekly newsletter with this many confirmed subscribers, inserted 5,000 at a time
    (after django.setup())."""
    from wagtail.models import Site

    from gazette.newsletters.models import Newsletter, Subscriber, Subscription

    newsletter = Newsletter.objects.create(
        site=Site.objects.get(is_default_site=True),
        name="The Lantern Weekly",
        slug="weekly",
        from_name="The Lantern",
        from_address="newsletter@lantern.example",
        list_id_domain="lists.lantern.example",
    )
    for first in range(0, subscribers, 5000):
        numbers = range(first, min(first + 5000, subscribers))
        added = Subscriber.objects.bulk_create(
            [Subscriber(email=f"reader{number}@example.net") for number in numbers]
        )
        Subscription.objects.bulk_create(
            [Subscription(subscriber=s, newsletter=newsletter, status="confirmed") for s in added]
        )
    return newsletter


def start_sink(kind: str, port: int) -> subprocess.Popen:
    if kind == "smtp-sink":
        # -u: smtp-sink refuses to keep root's privileges; 1000: the listen backlog.
        command = ["/usr/sbin/smtp-sink", "-u", "nobody", f"127.0.0.1:{port}", "1000"]
    else:
        command = [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}"]
        command += ["-c", "aiosmtpd.handlers.Sink"]
    sink = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return sink
        except OSError:
            time.sleep(0.05)
    sink.kill()
    raise SystemExit(f"The {kind} sink did not start on port {port}.")


def high_water_mark(pid: int) -> int:
    """The process's peak resident memory so far, in kB (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def child(args) -> None:
    """One send, in this process's own Django, to ``args.data_dir``."""
    data_dir = args.data_dir
    os.environ.update(base_env(data_dir))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    from gazette.newsletters.models import (
        Delivery,
        Issue,
        IssueArticle,
    )
    from gazette.newsletters.sending import prepare, progress
    from gazette.newsroom.models import ArticlePage

    started = time.monotonic()
    newsletter = make_list(args.subscribers)
    issue = Issue.objects.create(
        newsletter=newsletter,
        subject="This week at The Lantern",
        preheader="Ten stories our editors picked for you",
        intro="Dear reader,\nhere is what we reported this week.",
    )
    articles = ArticlePage.objects.live().order_by("-first_published_at")[:10]
    IssueArticle.objects.bulk_create(
        [IssueArticle(issue=issue, article=a, sort_order=n) for n, a in enumerate(articles)]
    )
    keys = []
    if args.dkim in ("rsa", "both"):
        keys.append(("rsa2026", rsa.generate_private_key(public_exponent=65537, key_size=2048)))
    if args.dkim in ("ed25519", "both"):
        keys.append(("ed2026", ed25519.Ed25519PrivateKey.generate()))
    key_entries = []
    for selector, key in keys:
        path = data_dir / f"dkim-{selector}.pem"
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        key_entries.append(f"{selector}:{path}")
    setup_seconds = time.monotonic() - started

    port = free_port()
    sink = start_sink(args.sink, port)
    try:
        started = time.monotonic()
        total = prepare(issue)
        prepare_seconds = time.monotonic() - started
        env = base_env(data_dir)
        env.update(
            GAZETTE_NEWSLETTER_SMTP_URL=f"smtp://127.0.0.1:{port}",
            GAZETTE_NEWSLETTER_CONNECTIONS=str(args.connections),
            GAZETTE_DKIM_DOMAIN="lantern.example",
            GAZETTE_DKIM_KEYS=",".join(key_entries),
        )
        command = [sys.executable, "-m", "gazette", "newsletter", "send", str(issue.pk)]
        started = time.monotonic()
        workers = [
            subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
            for _ in range(args.workers)
        ]
        peaks = [0] * len(workers)
        while any(worker.poll() is None for worker in workers):
            for index, worker in enumerate(workers):
                peaks[index] = max(peaks[index], high_water_mark(worker.pid))
            time.sleep(0.1)
        send_seconds = time.monotonic() - started
        failed = [worker.returncode for worker in workers if worker.returncode]
    finally:
        sink.terminate()
        sink.wait()
    state = progress(issue)
    sent = Delivery.objects.filter(issue=issue, status="sent")
    first = sent.order_by("sent_at").values_list("sent_at", flat=True).first()
    last = sent.order_by("-sent_at").values_list("sent_at", flat=True).first()
    steady = (last - first).total_seconds() if first and last else 0
    print(
        json.dumps(
            {
                "subscribers": args.subscribers,
                "deliveries": total,
                "sent": state.sent,
                "status": Issue.objects.get(pk=issue.pk).status,
                "failed_workers": failed,
                "setup_s": setup_seconds,
                "prepare_s": prepare_seconds,
                "send_s": send_seconds,
                "steady_s": steady,
                "peak_kb": max(peaks),
            }
        )
    )


def run_size(args, subscribers: int) -> dict:
    data_dir = new_site(f"gazette-nl-{subscribers}-", articles=10)
    try:
        command = [sys.executable, __file__, "--child", "--data-dir", str(data_dir)]
        command += ["--subscribers", str(subscribers), "--workers", str(args.workers)]
        command += ["--connections", str(args.connections), "--dkim", args.dkim]
        command += ["--sink", args.sink]
        output = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
        return json.loads(output.strip().splitlines()[-1])
    finally:
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--compare", type=int, help="a second, smaller send (default: a tenth)")
    parser.add_argument("--workers", type=int, default=1, help="sending processes")
    parser.add_argument("--connections", type=int, default=8, help="SMTP connections each")
    parser.add_argument("--dkim", choices=["rsa", "ed25519", "both", "none"], default="rsa")
    default_sink = "smtp-sink" if Path("/usr/sbin/smtp-sink").exists() else "aiosmtpd"
    parser.add_argument("--sink", choices=["smtp-sink", "aiosmtpd"], default=default_sink)
    parser.add_argument("--keep", action="store_true", help="keep the data directories")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    compare = args.compare if args.compare is not None else args.subscribers // 10
    print(
        f"Sink: {args.sink}; DKIM: {args.dkim}; {args.workers} worker(s) x "
        f"{args.connections} connections; {os.cpu_count()} cores"
    )
    results = [run_size(args, size) for size in sorted({compare, args.subscribers}) if size]
    columns = ("subscribers", "prepare s", "send s", "msg/s", "steady msg/s", "peak MB")
    print(" ".join(f"{name:>{len(name) if len(name) > 7 else 7}}" for name in columns))
    for result in results:
        rate = result["sent"] / result["send_s"]
        steady = result["sent"] / result["steady_s"] if result["steady_s"] else 0
        print(
            f"{result['subscribers']:>11,} {result['prepare_s']:>9.1f} {result['send_s']:>7.1f} "
            f"{rate:>7.0f} {steady:>12.0f} {result['peak_kb'] / 1024:>8.0f}"
        )
        if result["sent"] != result["deliveries"] or result["failed_workers"]:
            print(f"  not everything was sent: {result}")
    big = results[-1]
    rate = big["sent"] / big["send_s"]
    steady = big["sent"] / big["steady_s"] if big["steady_s"] else 0
    verdict = {True: "met", False: "NOT met"}
    print(
        f"Goal {GOAL_RATE} msg/s: steady {steady:.0f} ({verdict[steady >= GOAL_RATE]}); "
        f"whole send with worker start-up {rate:.0f} ({verdict[rate >= GOAL_RATE]})"
    )
    if len(results) > 1:
        flat = big["peak_kb"] <= results[0]["peak_kb"] * TOLERANCE
        print("Memory flat in the list size: " + ("yes" if flat else "NO"))


if __name__ == "__main__":
    main()
