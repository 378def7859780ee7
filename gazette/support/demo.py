"""The demo newsroom's year of donations, for the Fundraising dashboard to show.

Every gift goes through the recording functions (``recording``) in the order a provider
reports it (checkout, donor, first payment, each renewal, a failed renewal, a
cancellation), so the rows are what real flows leave behind. Only the clock is the demo's:
the recording functions stamp "now" on a gift's start and a donor's activity, so those
are set back to the story's dates afterwards, in a few bulk updates. Seeded, so every
demo has the same history; donors are invented, at example.org (RFC 2606).

No receipt goes out for this history: its payments are marked receipted at their own
dates inside the loader's transaction, so the commit finds nothing to send
(``receipts.send_receipt_later``).
"""

import calendar
import random
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import F
from wagtail.models import Site

from . import recording
from .models import Donor, Frequency, Gift, Payment, SupportSettings

SEED = 5
GIFTS = 200
DAYS = 365
FIRST_NAMES = ["Aino", "Boris", "Dace", "Emil", "Ilze", "Jonas", "Kira", "Lev", "Marta", "Oskar"]
LAST_NAMES = ["Avots", "Berg", "Kalns", "Lapa", "Mezs", "Ozols", "Rudens", "Saule", "Vitols"]
CUSTOM = {
    Frequency.ONCE: [15, 20, 30, 75, 100, 250],
    Frequency.MONTHLY: [3, 7, 15, 20],
    Frequency.ANNUAL: [30, 60, 120, 200],
}
MONTHLY_CHURN = 0.035  # the share of monthly donors who stop at each renewal
FAILED_RENEWAL = 0.015
PAST_DUE = 2  # recurring gifts whose latest renewal is failing


def months_later(moment: datetime, count: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 + count
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


class History:
    def __init__(self, *, now: datetime, rng: random.Random):
        self.now, self.rng = now, rng
        site = Site.objects.get(is_default_site=True)
        self.appeal = SupportSettings.for_site(site)
        from gazette.newsroom.models import ArticlePage, NewsroomSettings

        support = NewsroomSettings.for_site(site).support_page
        self.support_page_id = support.pk if support else None
        # Readers give most after the stories that are read most: a few articles lead.
        self.articles = list(ArticlePage.objects.order_by("pk").values_list("pk", flat=True))
        self.article_weights = [1 / (rank + 1) for rank in range(len(self.articles))]
        self.donors: list[tuple[str, str]] = []  # (email, name) by donor number
        self.gift_dates: dict[int, tuple[datetime, datetime | None]] = {}
        self.donor_dates: dict[str, list[datetime]] = {}
        self.past_due = 0

    def page(self) -> int | None:
        if not self.articles or self.rng.random() < 0.2:
            return self.support_page_id
        return self.rng.choices(self.articles, weights=self.article_weights)[0]

    def donor(self) -> tuple[int, str, str]:
        rng = self.rng
        if self.donors and rng.random() < 0.1:  # someone who gave before gives again
            number = rng.randrange(len(self.donors))
        else:
            number = len(self.donors)
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            email = f"{first}.{last}.{number}@example.org".lower()
            self.donors.append((email, f"{first} {last}" if rng.random() < 0.4 else ""))
        return number, *self.donors[number]

    def amount(self, frequency: str) -> Decimal:
        if self.rng.random() < 0.85:
            return self.rng.choice(self.appeal.amounts(frequency))
        return Decimal(self.rng.choice(CUSTOM[frequency]))

    def gift(self, number: int) -> None:
        rng = self.rng
        # More gifts lately: the newsroom's readership grew over the year.
        started = self.now - timedelta(days=DAYS * (1 - rng.random() ** 0.7), seconds=1)
        frequency = rng.choices(list(Frequency), weights=[55, 38, 7])[0]
        amount = self.amount(frequency)
        covers = self.appeal.offer_fee_cover and rng.random() < 0.35
        gift = recording.start_gift(
            frequency=frequency,
            amount=amount,
            currency=rng.choices(["USD", "EUR"], weights=[7, 3])[0],
            fee_covered=self.appeal.fee_for(amount) if covers else Decimal(0),
            provider=Gift.Provider.TEST,
            article_id=self.page(),
            language="ru" if rng.random() < 0.15 else "en",
        )
        outcome = rng.random()
        if outcome < 0.04:  # declined at checkout
            recording.record_decline(gift_id=gift.pk)
            self.gift_dates[gift.pk] = (started, None)
            return
        if outcome < 0.07:  # checkout left unfinished
            self.gift_dates[gift.pk] = (started, None)
            return
        donor_number, email, name = self.donor()
        recording.attach_donor(
            gift_id=gift.pk,
            email=email,
            name=name,
            customer_id=f"demo_cus_{donor_number}",
            checkout_id=f"demo_cs_{number}",
            subscription_id=f"demo_sub_{number}" if gift.recurring else "",
        )
        self.pay(gift, number, 0, started)
        self.gift_dates[gift.pk] = (started, started)
        dates = self.donor_dates.setdefault(email, [])
        dates.append(started)
        if gift.recurring:
            dates.append(self.renew(gift, number, started))

    def pay(self, gift: Gift, number: int, renewal: int, at: datetime, ok: bool = True) -> None:
        recording.record_payment(
            gift_id=gift.pk,
            provider_id=f"demo_pay_{number}_{renewal}",
            amount=gift.total,
            currency=gift.currency,
            paid_at=at,
            succeeded=ok,
        )

    def renew(self, gift: Gift, number: int, started: datetime) -> datetime:
        """Renewals until now or a cancellation; the date of the gift's last change."""
        rng, step = self.rng, 12 if gift.frequency == Frequency.ANNUAL else 1
        last = started
        for renewal in range(1, 13):
            due = months_later(started, step * renewal)
            if due > self.now:
                break
            if rng.random() < MONTHLY_CHURN * step:
                last = due - timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 23))
                recording.record_cancellation(gift_id=gift.pk, at=last)
                break
            last_one = months_later(started, step * (renewal + 1)) > self.now
            if last_one and self.past_due < PAST_DUE:  # failing now: past due
                self.pay(gift, number, renewal, due, ok=False)
                self.past_due += 1
                return due
            if rng.random() < FAILED_RENEWAL:
                self.pay(gift, number, renewal, due, ok=False)
                if rng.random() < 0.5:  # the provider's retry went through
                    self.pay(gift, number, renewal, due)
                else:  # the retries failed and the provider cancelled it
                    last = due + timedelta(days=14)
                    recording.record_cancellation(gift_id=gift.pk, at=min(last, self.now))
                    return min(last, self.now)
            else:
                self.pay(gift, number, renewal, due)
            last = due
        return last

    def backdate(self) -> None:
        """The story's dates on the rows the recording functions stamped with now."""
        gifts = list(Gift.objects.filter(pk__in=self.gift_dates))
        for gift in gifts:
            created, started = self.gift_dates[gift.pk]
            gift.created_at = created - timedelta(minutes=2)
            gift.started_at = started
            if started and gift.frequency == Frequency.ONCE:
                gift.ended_at = started
        Gift.objects.bulk_update(gifts, ["created_at", "started_at", "ended_at"], batch_size=500)
        donors = list(Donor.objects.filter(gifts__pk__in=list(self.gift_dates)).distinct())
        for donor in donors:
            dates = self.donor_dates[donor.email]
            donor.created_at, donor.last_activity_at = min(dates), max(dates)
        Donor.objects.bulk_update(donors, ["created_at", "last_activity_at"], batch_size=500)
        Payment.objects.filter(
            gift__in=list(self.gift_dates),
            status=Payment.Status.SUCCEEDED,
            receipt_sent_at__isnull=True,
        ).update(receipt_sent_at=F("paid_at"))


def load_donation_history(*, now: datetime, gifts: int = GIFTS) -> int:
    """About a year of gifts before ``now``, from the demo's articles and support page.
    Call inside the demo loader's transaction, after the pages exist. Returns the number
    of gifts made."""
    history = History(now=now, rng=random.Random(SEED))
    for number in range(gifts):
        history.gift(number)
    history.backdate()
    return len(history.gift_dates)
