"""`gazette worker`: runs queued tasks, and a clock that publishes scheduled pages, starts
scheduled newsletter issues on time, sends again the receipts that did not go, and purges
lapsed donors' records daily.

Without REDIS_URL the queue is the database (django-tasks-db's worker); with it, RQ. Any number
of workers may run on any number of machines: the clock's job takes a lock, so it runs once.
"""

import logging
import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from gazette.insights.retention import run_clock as run_insights_clock
from gazette.newsletters.scheduling import run_clock as run_newsletter_clock
from gazette.privacy.retention import purge_daily as purge_expired_data
from gazette.publishing.scheduling import publish_due_pages
from gazette.support.donor_records import purge_daily as purge_lapsed_donors
from gazette.support.receipts import retry_unsent_receipts

logger = logging.getLogger(__name__)


# What the clock does each round: publish scheduled pages; propose weekly newsletter drafts
# and start the issues whose time has come; every ten minutes, queue again receipts that did
# not go; once a day, purge lapsed donors' records, old page-view counts and what else is
# past its retention period; every hour, render a home page again if its "Most read" list
# changed.
CLOCK_JOBS = (
    publish_due_pages,
    run_newsletter_clock,
    retry_unsent_receipts,
    purge_lapsed_donors,
    run_insights_clock,
    purge_expired_data,
)


def run_clock(stop: threading.Event, interval: int) -> None:
    while not stop.wait(interval):
        for job in CLOCK_JOBS:
            try:
                job()
            except Exception:  # a failed round must not stop the clock; the next one retries
                logger.exception("%s failed; retrying in %s s", job.__module__, interval)
            finally:
                close_old_connections()


class Command(BaseCommand):
    help = "Run background tasks; publish scheduled pages and start issues when they are due."

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-clock",
            action="store_true",
            help="Do not run the clock (scheduled pages and issues) here: another worker does.",
        )
        parser.add_argument(
            "--burst", action="store_true", help="Run the tasks already queued, then exit."
        )

    def handle(self, *args, **options):
        stop = threading.Event()
        if not options["no_clock"] and not options["burst"]:
            clock = threading.Thread(
                target=run_clock,
                args=(stop, settings.GAZETTE_SCHEDULE_INTERVAL),
                name="gazette-clock",
                daemon=True,
            )
            clock.start()
        backend = settings.TASKS["default"]["BACKEND"]
        try:
            if backend == "django_tasks_rq.RQBackend":
                # RQ must build jobs with django-tasks-rq's class, which runs Task objects.
                call_command(
                    "rqworker",
                    *settings.RQ_QUEUES,
                    job_class="django_tasks_rq.backend.Job",
                    with_scheduler=not options["burst"],
                    burst=options["burst"],
                )
            else:
                call_command(
                    "db_worker",
                    queue_name="*",
                    interval=settings.GAZETTE_WORKER_INTERVAL,
                    reload=False,
                    batch=options["burst"],
                    startup_delay=not options["burst"],
                    verbosity=options["verbosity"],
                )
        finally:
            stop.set()
