"""The Fundraising dashboard's figures over a small history worked out by hand, the admin
page that shows them (to whom), and the demo's year of donations under it."""

import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.utils import timezone

from gazette.support import dashboard as figures
from gazette.support import recording
from gazette.support.demo import load_donation_history
from gazette.support.models import Donor, Gift, Payment
from tests.factories import make_staff, sign_in_staff

pytestmark = pytest.mark.django_db

RIGA = ZoneInfo("Europe/Riga")  # TIME_ZONE: the newsroom's months
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=RIGA)
FUNDRAISING = "/admin/fundraising/"
D = Decimal


def at(year, month, day, hour=12, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=RIGA)


def donor(email: str) -> Donor:
    person = Donor()
    person.email = email
    person.save()
    return person


def gift(frequency, amount, currency, *, status, started=None, ended=None, by=None, page=None):
    return Gift.objects.create(
        frequency=frequency,
        amount=D(amount),
        currency=currency,
        status=status,
        provider="test",
        donor=by,
        article=page,
        started_at=started,
        ended_at=ended,
    )


def pay(paid_gift, when, amount=None, status=Payment.Status.SUCCEEDED):
    Payment.objects.create(
        gift=paid_gift,
        provider_id=f"p{Payment.objects.count()}",
        amount=D(amount) if amount is not None else paid_gift.amount,
        currency=paid_gift.currency,
        status=status,
        paid_at=when,
    )


@pytest.fixture
def history(newsroom):
    """Nine gifts, the figures of which the tests below work out by hand."""
    x, y, z = newsroom["lead"], newsroom["tagged"], newsroom["older"]
    ana, boris, chen = donor("ana@example.org"), donor("boris@example.org"), donor("c@example.org")
    # A: once, 25 USD, March, from article X.
    a = gift("once", 25, "USD", status="paid", started=at(2026, 3, 10), by=boris, page=x)
    pay(a, at(2026, 3, 10))
    # B: once, 10 EUR, paid half an hour into 1 April in Riga (still 31 March in UTC).
    b = gift("once", 10, "EUR", status="paid", started=at(2026, 4, 1, 0, 30))
    pay(b, at(2026, 4, 1, 0, 30))
    # C: monthly 5 USD since 5 January, six payments, from X, by Ana.
    c = gift("monthly", 5, "USD", status="active", started=at(2026, 1, 5), by=ana, page=x)
    for month in range(1, 7):
        pay(c, at(2026, month, 5))
    # D: monthly 10 USD from 20 February, two payments, cancelled 10 April, from Y.
    d = gift(
        "monthly", 10, "USD", status="cancelled", started=at(2026, 2, 20),
        ended=at(2026, 4, 10), by=boris, page=y,
    )  # fmt: skip
    pay(d, at(2026, 2, 20))
    pay(d, at(2026, 3, 20))
    # E: annual 120 USD since 1 November 2025, by Ana too: a twelfth, 10, a month.
    e = gift("annual", 120, "USD", status="active", started=at(2025, 11, 1), by=ana)
    pay(e, at(2025, 11, 1))
    # F: monthly 4 EUR from 2 May, its June renewal failed: past due. From Y.
    f = gift("monthly", 4, "EUR", status="past_due", started=at(2026, 5, 2), by=chen, page=y)
    pay(f, at(2026, 5, 2))
    pay(f, at(2026, 6, 2), status=Payment.Status.FAILED)
    # G: once 50 USD in May 2025, outside the last 12 months, from Z.
    g = gift("once", 50, "USD", status="paid", started=at(2025, 5, 1), page=z)
    pay(g, at(2025, 5, 1))
    # H: once 30 USD on 1 June, refunded: not money received.
    h = gift("once", 30, "USD", status="paid", started=at(2026, 6, 1))
    pay(h, at(2026, 6, 1), status=Payment.Status.REFUNDED)
    # I: a checkout never completed.
    gift("monthly", 5, "USD", status="pending", page=x)
    return newsroom


def months(*pairs) -> list[date]:
    return [date(year, month, 1) for year, month in pairs]


def test_twelve_months_are_calendar_months_ending_with_this_one(history):
    period = figures.period("12m", now=NOW)
    assert period.months == [figures.add_months(date(2025, 7, 1), n) for n in range(12)]
    assert period.start == at(2025, 7, 1, 0, 0)
    assert figures.period("30d", now=NOW).months == months((2026, 5), (2026, 6))
    everything = figures.period("all", now=NOW)
    assert everything.start is None and everything.months[0] == date(2025, 5, 1)
    assert len(everything.months) == 14
    with pytest.raises(ValueError, match="Unknown period 'week'"):
        figures.period("week", now=NOW)


def test_received_per_month_splits_one_time_from_recurring_and_keeps_currencies_apart(history):
    received = figures.received(figures.period("12m", now=NOW))
    assert list(received) == ["EUR", "USD"]
    usd, eur = received["USD"], received["EUR"]
    assert dict(usd.once) == {date(2026, 3, 1): D("25.00")}
    assert dict(usd.recurring) == {
        date(2025, 11, 1): D("120.00"),
        date(2026, 1, 1): D("5.00"),
        date(2026, 2, 1): D("15.00"),
        date(2026, 3, 1): D("15.00"),
        date(2026, 4, 1): D("5.00"),
        date(2026, 5, 1): D("5.00"),
        date(2026, 6, 1): D("5.00"),
    }
    assert (usd.total, usd.once_total, usd.recurring_total) == (D(195), D(25), D(170))
    assert usd.payments == 10 and usd.average == D("19.50")
    # The payment at 00:30 on 1 April in Riga is April's, though UTC still says March.
    assert dict(eur.once) == {date(2026, 4, 1): D("10.00")}
    assert dict(eur.recurring) == {date(2026, 5, 1): D("4.00")}  # June's renewal failed
    assert (eur.total, eur.payments, eur.average) == (D(14), 2, D("7.00"))


def test_received_over_30_days_and_over_all_time(history):
    recent = figures.received(figures.period("30d", now=NOW))
    assert list(recent) == ["USD"] and recent["USD"].total == D(5)  # C on 5 June
    everything = figures.received(figures.period("all", now=NOW))
    assert everything["USD"].total == D(245) and everything["USD"].once_total == D(75)
    assert everything["EUR"].total == D(14)


def test_monthly_recurring_revenue_counts_an_annual_gift_as_a_twelfth(history):
    recurring = figures.recurring(figures.period("12m", now=NOW))
    usd, eur = recurring["USD"], recurring["EUR"]
    expected = [0, 0, 0, 0, 10, 10, 15, 25, 25, 15, 15, 15]  # July 2025 .. June 2026
    assert list(usd.mrr.values()) == [D(n).quantize(D("0.01")) for n in expected]
    assert usd.mrr_now == D("15.00") and usd.active == 2 and usd.past_due == 0
    # F ran in May; in June its renewal failed, so it is not revenue now.
    assert usd.mrr[date(2026, 4, 1)] == D("15.00")  # D cancelled on 10 April
    assert eur.mrr[date(2026, 5, 1)] == D("4.00") and eur.mrr[date(2026, 6, 1)] == D(0)
    assert eur.mrr_now == D(0) and eur.past_due == 1


def test_new_and_cancelled_recurring_gifts_per_month(history):
    recurring = figures.recurring(figures.period("12m", now=NOW))
    assert dict(recurring["USD"].started) == {
        date(2025, 11, 1): 1,
        date(2026, 1, 1): 1,
        date(2026, 2, 1): 1,
    }
    assert dict(recurring["USD"].cancelled) == {date(2026, 4, 1): 1}
    assert dict(recurring["EUR"].started) == {date(2026, 5, 1): 1}
    assert dict(recurring["EUR"].cancelled) == {}


def test_articles_that_led_to_gifts_rank_by_gifts_then_money(history):
    top = figures.articles(figures.period("12m", now=NOW))
    lead, tagged = history["lead"], history["tagged"]
    assert [(a.page_id, a.gifts, a.totals) for a in top] == [
        (lead.pk, 2, {"USD": D("55.00")}),  # A 25, C 6 × 5
        (tagged.pk, 2, {"EUR": D("4.00"), "USD": D("20.00")}),  # D 2 × 10; F 4 (the failed one not)
    ]
    assert top[0].title == lead.title and top[0].url == lead.url
    assert top[0].edit_url == f"/admin/pages/{lead.pk}/edit/"
    everything = figures.articles(figures.period("all", now=NOW))
    assert [a.page_id for a in everything] == [lead.pk, tagged.pk, history["older"].pk]


def test_active_recurring_donors_are_counted_once(history):
    assert figures.active_recurring_donors() == 1  # Ana, with C and E


def person(username: str, *permissions: str) -> Client:
    client = Client()
    sign_in_staff(client, make_staff(username, *permissions))
    return client


def test_a_staff_member_without_the_permission_is_refused_and_sees_no_menu_item(history):
    client = person("reporter")
    refused = client.get(FUNDRAISING, follow=True)  # Wagtail's way: back to the admin's home
    assert refused.redirect_chain == [("/admin/", 302)]
    assert "you do not have permission" in refused.content.decode()
    assert b"gz-chart" not in refused.content and "245.00" not in refused.content.decode()
    assert FUNDRAISING.encode() not in refused.content


def test_the_dashboard_permission_does_not_show_who_the_donors_are(history):
    client = person("fundraiser", "support.view_fundraising")
    assert client.get(FUNDRAISING).status_code == 200
    refused = client.get("/admin/donor/")
    assert refused.status_code == 302 and refused["Location"] == "/admin/"
    assert b"/admin/donor/" not in client.get("/admin/").content


def test_fundraising_staff_see_the_charts_and_their_figures(history):
    client = person("fundraiser", "support.view_fundraising")
    assert FUNDRAISING.encode() in client.get("/admin/").content
    response = client.get(FUNDRAISING, {"period": "all"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'aria-current="page">All time<' in page
    assert (
        page.count('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 280" class="gz-chart')
        == 5
    )  # received and MRR for USD and EUR; new and cancelled
    assert "support/dashboard.css" in page
    assert ' style="' not in page.split('class="nice-padding"')[1]
    # The figures worked out above, in the tables beside the charts.
    assert 'data-figure="received-USD">245.00 USD<' in page
    assert 'data-figure="mrr-USD">15.00 USD<' in page
    assert 'data-figure="active-donors">1<' in page
    assert 'data-figure="past-due">1<' in page
    board = response.context["board"]
    usd_received = response.context["sections"][1].charts[0]
    assert usd_received.key == "received-usd"
    march = {row[0]: row for row in usd_received.rows()}["March 2026"]
    assert march == ("March 2026", ["25.00", "15.00"], "40.00")
    assert '<th scope="row">March 2026</th>' in page and '<td class="gz-number">40.00</td>' in page
    assert board.articles[0].title in page
    for chart in response.context["sections"][0].charts:
        ET.fromstring(str(chart.svg))  # each drawing is well-formed XML


def test_a_superuser_sees_it_and_an_unknown_period_is_explained(history):
    admin = get_user_model().objects.create_superuser("boss", "", "correct horse 42")
    client = Client()
    sign_in_staff(client, admin)
    response = client.get(FUNDRAISING, {"period": "week"}, follow=True)
    assert response.status_code == 200
    assert "There is no period “week”: showing the last 12 months." in response.content.decode()
    assert response.context["board"].period.key == "12m"


def test_the_dashboard_with_no_gifts_says_so(newsroom):
    client = person("fundraiser", "support.view_fundraising")
    response = client.get(FUNDRAISING)
    assert response.status_code == 200
    assert "No donations have been recorded yet." in response.content.decode()
    assert b"gz-chart" not in response.content


def fingerprint():
    return (
        list(Gift.objects.order_by("pk").values_list("frequency", "amount", "currency", "status")),
        list(Payment.objects.order_by("pk").values_list("amount", "status", "paid_at")),
    )


def test_the_demo_history_is_what_the_recording_path_leaves_and_mails_nobody(
    newsroom, django_capture_on_commit_callbacks, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    from django_tasks import default_task_backend

    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        made = load_donation_history(now=now)
    assert made == Gift.objects.count() == 200
    # Receipts were due on commit, and none was even queued.
    assert callbacks and not default_task_backend.results and not mail.outbox
    assert not Payment.objects.filter(receipt_sent_at__isnull=True, status="succeeded").exists()
    frequencies = set(Gift.objects.values_list("frequency", flat=True))
    assert frequencies == {"once", "monthly", "annual"}
    assert set(Payment.objects.values_list("currency", flat=True)) == {"USD", "EUR"}
    statuses = set(Gift.objects.values_list("status", flat=True))
    assert {"paid", "active", "cancelled", "past_due", "declined"} <= statuses
    assert Payment.objects.filter(status="failed").exists()
    # A year of it, dated as the story goes, not at the moment it was loaded.
    oldest = Payment.objects.order_by("paid_at").first().paid_at
    assert 300 < (now - oldest).days <= 365
    assert Gift.objects.filter(started_at__lt=now - timedelta(days=180)).exists()
    assert not Gift.objects.exclude(started_at=None).filter(donor=None).exists()
    # Each monthly gift's renewals are a month apart, as a provider would charge them.
    monthly = Gift.objects.filter(frequency="monthly", status="active").first()
    dates = [p.paid_at for p in monthly.payments.order_by("paid_at")]
    assert all(27 < (b - a).days < 32 for a, b in zip(dates, dates[1:], strict=False))
    assert Gift.objects.filter(article=newsroom["lead"]).exists()
    assert all("@example.org" in d.email for d in Donor.objects.all())
    assert Donor.objects.filter(created_at__lt=now - timedelta(days=30)).exists()
    with django_capture_on_commit_callbacks(execute=True):  # whereas a new payment's is
        recording.record_payment(
            gift_id=Gift.objects.filter(status="active").first().pk,
            provider_id="in_new",
            amount=D(5),
            currency="USD",
        )
    assert len(default_task_backend.results) == 1


def test_the_demo_history_is_the_same_every_time(newsroom):
    from django.db import transaction

    now = timezone.now()
    prints = []
    for _ in range(2):
        with transaction.atomic():
            load_donation_history(now=now, gifts=40)
            prints.append(fingerprint()[0])
            transaction.set_rollback(True)
    assert prints[0] == prints[1] and len(prints[0]) == 40


def test_fundraising_staff_see_the_dashboard_over_the_demo_newsroom(
    django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    from gazette.demo.loader import load_demo

    with django_capture_on_commit_callbacks(execute=True):
        load_demo()
    assert not mail.outbox
    client = person("fundraiser", "support.view_fundraising")
    for period in figures.PERIODS:
        # The figures are a handful of grouped queries, however many payments there are.
        with django_assert_max_num_queries(8):
            figures.dashboard(period)
        response = client.get(FUNDRAISING, {"period": period})
        assert response.status_code == 200
    board = response.context["board"]
    assert set(board.received) == {"USD", "EUR"} and board.active_donors > 50
    page = response.content.decode()
    assert page.count('class="gz-chart gz-chart--') == 5
    for section in response.context["sections"]:
        for chart in section.charts:
            ET.fromstring(str(chart.svg))
            assert str(chart.svg) in page
    # Gifts began on the demo's articles, and the table links to them.
    assert len(board.articles) == 10
    assert f'href="{board.articles[0].url}"' in page
    usd = board.received["USD"]
    assert f'data-figure="received-USD">{usd.total} USD<' in page
