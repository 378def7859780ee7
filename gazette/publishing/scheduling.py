"""Scheduled publishing: pages whose go-live time has come are published by the worker.

Wagtail records a scheduled publish as a revision with ``approved_go_live_at`` and expiry as
``expire_at`` on the page; its ``publish_scheduled`` command acts on both. We run that command's
work under a lock, so two workers never publish the same revision twice.
"""

import logging

from django.core.management import call_command
from django_tasks import task

from .locks import exclusive

logger = logging.getLogger(__name__)


def publish_due_pages() -> bool:
    """Publish what is due and unpublish what has expired. False if another worker is at it."""
    with exclusive("gazette.publish_due_pages") as acquired:
        if acquired:
            call_command("publish_scheduled", verbosity=0)
        return acquired


@task()
def publish_due_pages_task() -> bool:
    return publish_due_pages()
