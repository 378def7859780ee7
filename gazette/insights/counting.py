"""Counting one page view: the path's views for the day, and whether this visitor is new to
the page and to the site today.

A visitor is told apart by a digest of their address, browser (user agent) and the host
they used, keyed with a salt made for the day (Plausible's method,
https://plausible.io/data-policy#how-we-count-unique-users-without-cookies). The address and
user agent are never stored; the digests are kept for their day only, and the day's salt is
deleted when the next day's is made, so a digest can then be linked to nobody, and one
reader's visits on two days cannot be linked to each other.

What a page view costs: a lookup of the path among the stored pages, then one transaction
of two to four small writes (the "seen" digests, the path's row for the day, and the site's
row the first time a visitor comes that day), each an UPSERT or an INSERT that does nothing
on conflict, so concurrent hits never lose a count. Counts are not buffered in the cache:
the file cache of a one-machine site has no atomic increment and no way to list its keys,
and a page view's writes are cheap next to the rate limit that bounds them.
"""

import hashlib
import hmac
import secrets
from datetime import date, datetime, time, timedelta

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from gazette.publishing.models import StoredPage

from .models import DailySalt, PageDay, Seen, SiteDay


def today() -> date:
    """The day a view counts for: the newsroom's (TIME_ZONE), as the admin shows days."""
    return timezone.localdate()


def seconds_left(day: date) -> int:
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time()))
    return max(int((end - timezone.now()).total_seconds()), 1)


def salt_for(day: date) -> str:
    """The day's salt, made at its first page view; making it deletes the earlier days'."""
    key = f"insights:salt:{day.isoformat()}"
    salt = cache.get(key)
    if salt is None:
        row, created = DailySalt.objects.get_or_create(
            day=day, defaults={"salt": secrets.token_hex(32)}
        )
        if created:
            DailySalt.objects.filter(day__lt=day).delete()
        salt = row.salt
        cache.set(key, salt, timeout=seconds_left(day))
    return salt


def digest(salt: str, *parts: str) -> str:
    # Newline-joined, so that no two different inputs make the same message.
    message = "\n".join(parts).encode("utf-8", "surrogateescape")
    return hmac.new(salt.encode(), message, hashlib.sha256).hexdigest()[:32]


def page_for(path: str) -> tuple[bool, int | None]:
    """(whether ``path`` is a public page in the page store, the id of the page it renders).
    Anything else is not counted, so made-up paths cannot fill the table."""
    if not path.endswith("/"):  # feeds, sitemaps and files are not pages readers view
        return False, None
    rows = list(StoredPage.objects.filter(path=path).values_list("page_id", flat=True)[:1])
    return (True, rows[0]) if rows else (False, None)


def record_hit(*, path: str, client_address: str, user_agent: str, host: str) -> bool:
    """Count a view of ``path``; False (nothing counted) if it is not a public page."""
    known, page_id = page_for(path)
    if not known:
        return False
    day = today()
    salt = salt_for(day)
    visitor = digest(salt, client_address, user_agent, host)
    on_page = digest(salt, visitor, path)
    with transaction.atomic():
        new_on_page = _first_seen(day, on_page)
        # Someone new on this page may still have read another page today.
        if new_on_page and _first_seen(day, visitor):
            _add_site_visitor(day)
        _add_view(day, path, page_id, visitors=int(new_on_page))
    return True


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _first_seen(day: date, value: str) -> bool:
    # ON CONFLICT ... DO NOTHING: PostgreSQL and SQLite (3.24+) both have it.
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_table(Seen)} (day, digest) VALUES (%s, %s) "  # noqa: S608
            "ON CONFLICT (day, digest) DO NOTHING",
            [day, value],
        )
        return cursor.rowcount == 1


def _add_view(day: date, path: str, page_id: int | None, *, visitors: int) -> None:
    table = _table(PageDay)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, path, page_id, views, visitors) "  # noqa: S608
            "VALUES (%s, %s, %s, 1, %s) ON CONFLICT (day, path) DO UPDATE SET "
            f"views = {table}.views + 1, visitors = {table}.visitors + excluded.visitors, "
            "page_id = excluded.page_id",
            [day, path, page_id, visitors],
        )


def _add_site_visitor(day: date) -> None:
    table = _table(SiteDay)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, visitors) VALUES (%s, 1) "  # noqa: S608
            f"ON CONFLICT (day) DO UPDATE SET visitors = {table}.visitors + 1",
            [day],
        )
