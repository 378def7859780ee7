"""Signing up with double opt-in: who may post the form, how often, what a signup stores,
the confirmation and welcome mails, and confirming.

The form sits on pre-rendered pages served without Django, so readers have no CSRF cookie;
the endpoint is protected instead by the browser's own word on where a post came from
(``Sec-Fetch-Site``, https://www.w3.org/TR/fetch-metadata/, and ``Origin``), a honeypot
field, and rate limits. A signup only ever stores a *pending* subscription; nothing is sent
to it until the owner of the address follows the emailed link.
"""

from dataclasses import dataclass
from email.utils import formataddr
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django_tasks import task

from gazette import ratelimits

from .models import ErasedAddress, Newsletter, Subscriber, Subscription, Suppression
from .tokens import preferences_token, unsubscribe_signer

CONFIRM_SALT = "gazette.newsletters.confirm"
ALLOWED_FETCH_SITES = {"same-origin", "none"}  # "none": typed or bookmarked, not a page


def site_hosts() -> set[str]:
    """Every host name the site is read at: the primary one, its mirrors, onion services."""
    from gazette.publishing.models import Mirror

    hosts = {urlsplit(settings.GAZETTE_BASE_URL).hostname}
    hosts.update(
        urlsplit(address).hostname for address in Mirror.objects.values_list("address", flat=True)
    )
    return {host.lower() for host in hosts if host}


def is_cross_site(request) -> bool:
    """Whether the browser says this post came from another site's page. Browsers that send
    neither header (old ones, curl) are let through: the honeypot and rate limits stand."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site.lower() not in ALLOWED_FETCH_SITES:
        return True
    origin = request.headers.get("Origin")
    if origin is not None:
        host = urlsplit(origin).hostname  # None for "null" (sandboxed frames, file://)
        if not host or host.lower() not in site_hosts():
            return True
    return False


def _keyed(kind: str, value: str) -> str:
    return ratelimits.keyed("newsletters", kind, value)


def over_rate_limit(client_address: str) -> bool:
    """Count a signup attempt; True if this client, or everyone together, has used up the
    window (``gazette.ratelimits``: the address lives only in the cache, hashed)."""
    return ratelimits.over_limit(
        namespace="newsletters",
        kind="signup",
        client=client_address,
        window=settings.GAZETTE_SIGNUP_WINDOW,
        per_client=settings.GAZETTE_SIGNUP_PER_CLIENT,
        overall=settings.GAZETTE_SIGNUP_GLOBAL,
    )


def site_newsletters(site) -> list[Newsletter]:
    """The site's newsletters (``site``: a Site or its id), the weekly ones first."""
    newsletters = list(Newsletter.objects.filter(site=site).order_by("pk"))
    return sorted(newsletters, key=lambda item: item.kind != Newsletter.Kind.WEEKLY)


def latest_issue_path(newsletter: Newsletter) -> str:
    """Where the box's Preview link goes ('' while no issue has gone out): a stable path
    holding a copy of the newest issue (archive.py), so that stored pages need not be
    rendered again every time an issue is sent."""
    if not newsletter.sent_issues().exists():
        return ""
    return newsletter.latest_path()


@dataclass
class SignupBox:
    """What the signup box on reader pages shows."""

    newsletters: list[Newsletter]
    preview_path: str

    @property
    def default_slugs(self) -> list[str]:
        """Ticked in the box: the weekly newsletter (the first)."""
        return [self.newsletters[0].slug]


def signup_box(site) -> SignupBox | None:
    newsletters = site_newsletters(site)
    if not newsletters:
        return None
    return SignupBox(newsletters, latest_issue_path(newsletters[0]))


@transaction.atomic
def sign_up(*, email: str, newsletters: list[Newsletter], source: str) -> None:
    """Record consent to ``newsletters`` as pending, and mail a confirmation link if there
    is anything to confirm. Says nothing about what was there before, and neither may its
    callers: whether an address is subscribed is the reader's business alone."""
    if address_refused(email):
        return
    subscriber, _created = Subscriber.objects.get_or_create(
        email=email, defaults={"language": _language()}
    )
    if subscriber.status != Subscriber.Status.ACTIVE:
        return  # bounced or complained: mailing it again would harm our sending reputation
    now = timezone.now()
    consent = {
        "consent_at": now,
        "consent_source": source[:500],
        "policy_version": settings.GAZETTE_PRIVACY_POLICY_VERSION,
    }
    pending = []
    for newsletter in newsletters:
        subscription, created = Subscription.objects.select_for_update().get_or_create(
            subscriber=subscriber, newsletter=newsletter, defaults=consent
        )
        if subscription.status == Subscription.Status.CONFIRMED:
            continue
        if not created:  # pending again, or back after unsubscribing: consent given anew
            subscription.renew_consent(consent)
        pending.append(newsletter)
    if pending and _first_mail_in_window(email):
        # Sent by a task, not in the request: a slow or failing mail server must not show
        # in the answer, and neither may the time a mail takes (it would tell whether the
        # address was already confirmed).
        mail_confirmation(subscriber, pending, _language())


def address_refused(email: str) -> bool:
    """Whether we must never start mailing this address: it is suppressed, or it was erased
    after bouncing or complaining (erasure keeps only a hash, no suppression row)."""
    if Suppression.objects.filter(email=email).exists():
        return True
    erased = ErasedAddress.objects.matching([email]).get(email)
    return erased is not None and erased.refuses_signup


def mail_confirmation(subscriber: Subscriber, newsletters: list[Newsletter], language: str):
    """Queue the confirmation mail for these newsletters once the transaction commits."""
    args = (subscriber.pk, [newsletter.pk for newsletter in newsletters], language)
    transaction.on_commit(lambda: urgent(send_confirmation_task).enqueue(*args))


def _first_mail_in_window(email: str) -> bool:
    """At most one confirmation mail per address per window, however often it is typed in
    (by its owner, or by someone using our form to flood it)."""
    return cache.add(_keyed("signup-mail", email), 1, timeout=settings.GAZETTE_SIGNUP_MAIL_WINDOW)


def confirmation_token(subscriber: Subscriber, newsletters: list[Newsletter]) -> str:
    """A signed, timestamped token of the subscriber and the newsletters to confirm; its
    age is checked when read (``read_confirmation_token``)."""
    payload = [
        subscriber.pk,
        sorted(newsletter.pk for newsletter in newsletters),
        translation.get_language() or settings.LANGUAGE_CODE,
    ]
    return signing.dumps(payload, salt=CONFIRM_SALT, compress=True)


def read_confirmation_token(token: str) -> tuple[int, list[int], str] | None:
    """(subscriber id, newsletter ids, language) of a genuine token younger than the
    confirmation period; None for a forged, damaged or expired one."""
    try:
        subscriber_id, newsletter_ids, language = signing.loads(
            token, salt=CONFIRM_SALT, max_age=settings.GAZETTE_SIGNUP_CONFIRM_DAYS * 86400
        )
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(subscriber_id, int) or not all(isinstance(i, int) for i in newsletter_ids):
        return None
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    return subscriber_id, newsletter_ids, language


def subscriptions_for(token: str) -> tuple[list[Subscription], str] | None:
    """The subscriptions a confirmation link is about, and the language it was sent in."""
    ids = read_confirmation_token(token)
    if ids is None:
        return None
    subscriber_id, newsletter_ids, language = ids
    subscriptions = list(
        Subscription.objects.select_related("subscriber", "newsletter")
        .filter(subscriber_id=subscriber_id, newsletter_id__in=newsletter_ids)
        .exclude(status=Subscription.Status.UNSUBSCRIBED)
        .order_by("newsletter_id")
    )
    return (subscriptions, language) if subscriptions else None


@transaction.atomic
def confirm(subscriptions: list[Subscription]) -> list[Subscription]:
    """Confirm the pending ones among ``subscriptions``; the newly confirmed are returned
    and welcomed by mail. Confirming again confirms nothing and mails nothing."""
    newly = []
    for subscription in subscriptions:
        if subscription.status == Subscription.Status.PENDING:
            subscription.confirm()
            newly.append(subscription)
    if newly:
        args = (newly[0].subscriber_id, [s.newsletter_id for s in newly], _language())
        transaction.on_commit(lambda: urgent(send_welcome_task).enqueue(*args))
    return newly


def _language() -> str:
    return translation.get_language() or settings.LANGUAGE_CODE


def _recipients(subscriber_id: int, newsletter_ids: list[int]):
    subscriber = Subscriber.objects.get(pk=subscriber_id)
    newsletters = list(Newsletter.objects.filter(pk__in=newsletter_ids).order_by("pk"))
    newsletters.sort(key=lambda item: item.kind != Newsletter.Kind.WEEKLY)
    return subscriber, newsletters


def urgent(task_):
    """A reader waits for these mails with the page in front of them: as urgent as a
    publish, where the queue has priorities (the Redis queue refuses a task that asks)."""
    from gazette.publishing.building import PUBLISH_PRIORITY, at_priority

    return at_priority(task_, PUBLISH_PRIORITY)


@task()
def send_confirmation_task(subscriber_id: int, newsletter_ids: list[int], language: str) -> None:
    subscriber, newsletters = _recipients(subscriber_id, newsletter_ids)
    send_confirmation(subscriber=subscriber, newsletters=newsletters, language=language)


@task()
def send_welcome_task(subscriber_id: int, newsletter_ids: list[int], language: str) -> None:
    subscriber, newsletters = _recipients(subscriber_id, newsletter_ids)
    send_welcome(subscriber=subscriber, newsletters=newsletters, language=language)


def _send(*, template: str, subject: str, subscriber, newsletters, context: dict) -> None:
    from gazette.newsroom.models import NewsroomSettings

    sender = newsletters[0]
    newsroom = NewsroomSettings.for_site(sender.site)
    context = {**context, "newsletters": newsletters, "newsroom_name": newsroom.name}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"newsletters/{template}.txt", context),
        from_email=formataddr((sender.from_name, sender.from_address)),
        to=[subscriber.email],
    )
    message.attach_alternative(
        render_to_string(f"newsletters/{template}.html", context), "text/html"
    )
    message.send()


def send_confirmation(*, subscriber, newsletters, language: str) -> None:
    with translation.override(language):
        token = confirmation_token(subscriber, newsletters)
        url = f"{settings.GAZETTE_BASE_URL}/newsletters/confirm/{token}/"
        _send(
            template="confirmation_email",
            subject=translation.gettext("Confirm your subscription"),
            subscriber=subscriber,
            newsletters=newsletters,
            context={"confirm_url": url, "days": settings.GAZETTE_SIGNUP_CONFIRM_DAYS},
        )


def send_welcome(*, subscriber, newsletters, language: str) -> None:
    signer = unsubscribe_signer()
    with translation.override(language):
        _send(
            template="welcome_email",
            subject=translation.gettext("Welcome: your subscription is confirmed"),
            subscriber=subscriber,
            newsletters=newsletters,
            context={
                "base_url": settings.GAZETTE_BASE_URL,
                "preferences_url": f"{settings.GAZETTE_BASE_URL}/newsletters/preferences/"
                f"{preferences_token(subscriber.pk, newsletters[0].pk)}/",
                "unsubscribe_links": [
                    (
                        newsletter.name,
                        f"{settings.GAZETTE_BASE_URL}/newsletters/unsubscribe/"
                        f"{signer.make(subscriber.pk, newsletter.pk)}/",
                    )
                    for newsletter in newsletters
                ],
            },
        )
