"""Receipts: one mail per successful payment, sent after the payment is committed."""

import logging
import smtplib

from django.db import transaction
from django_tasks import task

from .models import Payment

logger = logging.getLogger(__name__)


class MailFailed(Exception):
    """A donor's mail was not accepted. Says which record and why, never the address."""


def send_to_donor(message, *, what: str) -> None:
    """``message.send()``, but a failure is re-raised without the mail server's words:
    SMTP and provider errors name the recipient, and the task backends keep a failed
    task's traceback in their tables (or Redis), in clear."""
    try:
        message.send()
    except Exception as error:  # noqa: BLE001 - any backend's error may hold the address
        code = getattr(error, "smtp_code", None)
        if isinstance(error, smtplib.SMTPRecipientsRefused):
            code = sorted({reply[0] for reply in error.recipients.values()})
        logger.error("Mail to a donor failed (%s): %s, code %s", what, type(error).__name__, code)
        raise MailFailed(f"{what}: {type(error).__name__}, code {code}") from None


def default_newsroom():
    """The newsroom settings of the default site (mail has no request to take a site from),
    or None before a site exists."""
    from wagtail.models import Site

    from gazette.newsroom.models import NewsroomSettings

    site = Site.objects.filter(is_default_site=True).first()
    return NewsroomSettings.for_site(site) if site else None


def send_receipt_later(payment: Payment) -> None:
    def enqueue():
        # A payment marked receipted before the commit (history brought in whole, such as
        # the demo's) needs no task: send_receipt would find nothing to send.
        if Payment.objects.filter(pk=payment.pk, receipt_sent_at__isnull=True).exists():
            send_receipt_task.enqueue(payment.pk)

    transaction.on_commit(enqueue)


@task()
def send_receipt_task(payment_id: int) -> bool:
    return send_receipt(payment_id)


def send_receipt(payment_id: int) -> bool:
    """Mail the receipt unless it went before (a retried task sends nothing twice)."""
    from django.utils import timezone

    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update()
            .select_related("gift__donor")
            .filter(pk=payment_id, receipt_sent_at__isnull=True, gift__donor__isnull=False)
            .first()
        )
        if payment is None:
            return False
        _mail_receipt(payment)
        payment.receipt_sent_at = timezone.now()
        payment.save(update_fields=["receipt_sent_at"])
    return True


def _mail_receipt(payment: Payment) -> None:
    from django.conf import settings
    from django.core.mail import EmailMultiAlternatives
    from django.template.loader import render_to_string
    from django.utils import translation

    from .links import manage_url

    gift = payment.gift
    newsroom = default_newsroom()
    with translation.override(gift.language):
        context = {
            "payment": payment,
            "gift": gift,
            "name": gift.donor.name,
            "newsroom_name": newsroom.name if newsroom else settings.WAGTAIL_SITE_NAME,
            "manage_url": manage_url(gift.donor) if gift.recurring else "",
        }
        message = EmailMultiAlternatives(
            subject=translation.gettext("Thank you: your receipt from %(name)s")
            % {"name": context["newsroom_name"]},
            body=render_to_string("support/receipt_email.txt", context),
            from_email=settings.GAZETTE_SUPPORT_FROM_EMAIL or settings.DEFAULT_FROM_EMAIL,
            to=[gift.donor.email],
        )
        message.attach_alternative(
            render_to_string("support/receipt_email.html", context), "text/html"
        )
        send_to_donor(message, what=f"receipt for payment {payment.pk}")


RETRY_EVERY = 600  # seconds between two sweeps for receipts that did not go
RETRY_AFTER = 600  # a payment's own task gets this long before a sweep sends for it
RETRY_FOR = 7 * 86400  # after a week a receipt would confuse more than it helps


def retry_unsent_receipts() -> int:
    """The worker clock's job: queue again the receipts that did not go (a mail outage, a
    worker that died), at most every RETRY_EVERY seconds and on one worker at a time.
    Returns how many were queued. ``send_receipt`` sends each at most once."""
    from datetime import timedelta

    from django.core.cache import cache
    from django.utils import timezone

    from gazette.publishing.locks import exclusive

    if not cache.add("support:receipt-sweep", 1, timeout=RETRY_EVERY):
        return 0
    with exclusive("gazette.support.receipt-sweep") as acquired:
        if not acquired:
            return 0
        now = timezone.now()
        unsent = Payment.objects.filter(
            status=Payment.Status.SUCCEEDED,
            receipt_sent_at__isnull=True,
            gift__donor__isnull=False,
            paid_at__lt=now - timedelta(seconds=RETRY_AFTER),
            paid_at__gte=now - timedelta(seconds=RETRY_FOR),
        ).values_list("pk", flat=True)[:500]
        queued = 0
        for payment_id in unsent:
            send_receipt_task.enqueue(payment_id)
            queued += 1
        if queued:
            logger.info("Queued %s receipt(s) again that had not gone.", queued)
        return queued
