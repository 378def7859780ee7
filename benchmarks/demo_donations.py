"""What the demo's year of donations costs: the share of `load_demo` it takes (wall and CPU
time, queries), and how long the Fundraising dashboard's figures take over it, per period.
The reference in the same run is the rest of the demo load (pages, images, newsletters).

    .venv/bin/python benchmarks/demo_donations.py            # SQLite in a scratch directory
    DATABASE_URL=postgres://... .venv/bin/python benchmarks/demo_donations.py   # empty database
"""

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("GAZETTE_DATA_DIR", tempfile.mkdtemp(prefix="gz-bench-donations-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gazette.demo.settings")


def timed(function, *args, **kwargs):
    """The result, wall and CPU seconds, and the number of queries run."""
    from django.db import connection

    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    wall, cpu = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(count):
        result = function(*args, **kwargs)
    return result, time.perf_counter() - wall, time.process_time() - cpu, queries


def main() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from gazette.demo import loader
    from gazette.support import dashboard
    from gazette.support.models import Gift, Payment

    call_command("migrate", interactive=False, verbosity=0)
    spent = {}
    history = loader.load_donation_history

    def measured(**kwargs):
        result, *spent["history"] = timed(history, **kwargs)
        return result

    loader.load_donation_history = measured
    _, wall, cpu, queries = timed(loader.load_demo)
    h_wall, h_cpu, h_queries = spent["history"]
    print(f"gifts {Gift.objects.count()}, payments {Payment.objects.count()}")
    print(f"{'':24}{'wall s':>8}{'cpu s':>8}{'queries':>9}")
    print(f"{'demo load, all':24}{wall:8.2f}{cpu:8.2f}{queries:9}")
    print(f"{'  of which donations':24}{h_wall:8.2f}{h_cpu:8.2f}{h_queries:9}")
    print(f"{'  share':24}{h_wall / wall:8.0%}{h_cpu / cpu:8.0%}{h_queries / queries:9.0%}")
    for key in dashboard.PERIODS:
        _, wall, cpu, queries = timed(dashboard.dashboard, key)
        print(f"{'dashboard ' + key:24}{wall:8.3f}{cpu:8.3f}{queries:9}")


if __name__ == "__main__":
    main()
