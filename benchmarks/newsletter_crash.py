"""Crash test of a newsletter send: kill -9 the worker at random moments, restart it, count.

A fresh data directory (generate_site.py, 3 articles), N confirmed subscribers (default
20,000) and an issue; a counting SMTP sink (aiosmtpd, in this process) records every
recipient. `gazette newsletter send` runs K times (default 5), each killed with SIGKILL a
random 0.05-1.5 s after its first message arrived, then once more to the end. Leases last
2 s so that a restarted worker takes over quickly. It prints how many subscribers were
skipped (got nothing), got duplicates, and were flagged uncertain, and whether every
duplicate was flagged. Goal (issue #4): none
skipped; duplicates only where flagged uncertain.

    .venv/bin/python benchmarks/newsletter_crash.py --subscribers 20000 --kills 5
"""

import argparse
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from newsletter_send import base_env, free_port, make_list, new_site  # noqa: E402


class CountingSink:
    """aiosmtpd handler: counts messages per recipient."""

    def __init__(self):
        self.copies = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.copies.update(envelope.rcpt_tos)
        return "250 2.0.0 Ok: queued"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=20_000)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    data_dir = new_site("gazette-nl-crash-", articles=3)
    os.environ.update(base_env(data_dir))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from aiosmtpd.controller import Controller

    from gazette.newsletters.models import Delivery, Issue, Subscriber
    from gazette.newsletters.sending import prepare, progress

    newsletter = make_list(args.subscribers)
    issue = Issue.objects.create(newsletter=newsletter, subject="Crash test")
    prepare(issue)

    sink = CountingSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    env = base_env(data_dir)
    env.update(
        GAZETTE_NEWSLETTER_SMTP_URL=f"smtp://127.0.0.1:{port}",
        GAZETTE_NEWSLETTER_LEASE="2",
        GAZETTE_NEWSLETTER_RETRY_BASE="1",
    )
    command = [sys.executable, "-m", "gazette", "newsletter", "send", str(issue.pk)]
    started = time.monotonic()
    kills = 0
    try:
        for _ in range(args.kills):
            with sink.lock:
                before = sum(sink.copies.values())
            worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
            # Kill mid-send: once this worker has delivered something, after a random while.
            for _ in range(600):
                with sink.lock:
                    if sum(sink.copies.values()) > before or worker.poll() is not None:
                        break
                time.sleep(0.05)
            try:
                worker.wait(timeout=rng.uniform(0.05, 1.5))
            except subprocess.TimeoutExpired:
                worker.send_signal(signal.SIGKILL)
                worker.wait()
                kills += 1
                with sink.lock:
                    received = sum(sink.copies.values())
                print(f"killed the worker with {received} messages received")
        subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, check=True)
    finally:
        controller.stop()
    seconds = time.monotonic() - started

    emails = set(Subscriber.objects.values_list("email", flat=True))
    copies = sink.copies
    skipped = emails - set(copies)
    duplicates = {email for email, count in copies.items() if count > 1}
    uncertain = set(
        Delivery.objects.filter(issue=issue, uncertain=True).values_list(
            "subscriber__email", flat=True
        )
    )
    unflagged = duplicates - uncertain
    print(f"{args.subscribers:,} subscribers, {kills} kills, {seconds:.0f} s")
    print(f"received {sum(copies.values()):,} messages for {len(copies):,} subscribers")
    print(f"skipped {len(skipped)}, duplicates {len(duplicates)}, uncertain {len(uncertain)}")
    print(f"duplicates not flagged uncertain: {len(unflagged)}")
    print(progress(issue))
    ok = not skipped and not unflagged
    print("Goal (none skipped, every duplicate flagged): " + ("met" if ok else "NOT met"))
    if ok:
        import shutil

        shutil.rmtree(data_dir, ignore_errors=True)
    else:
        print(f"Data kept in {data_dir}")


if __name__ == "__main__":
    main()
