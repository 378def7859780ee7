"""Importing a list of subscribers from a CSV file, for a newsroom moving from another system
(`gazette newsletter import FILE.csv --newsletter SLUG`).

The file is UTF-8 text (a byte order mark is fine) with a header line naming the columns:
``email`` (required), ``name``, ``language``, ``subscribed_at`` (when consent was given; also
read from ``consent_at`` or ``consent_date``), ``status`` (rows whose status is not empty,
subscribed, confirmed or active are skipped) and ``suppressed`` (rows with anything in it are
skipped). Other columns are ignored, and said so. This is what ``export_csv`` writes, so an
export can be imported again.

Imported subscribers are **confirmed**: they gave their consent to the newsroom in the other
system, and asking a whole list to confirm again would lose most of it. The subscription
records where that consent came from: ``consent_source`` is ``import:FILE (TIME UTC, by
WHO)``, ``consent_at`` the row's consent date (the import time if it has none), and
``policy_version`` the one given to the command (blank: the other system's terms).

An import never subscribes an address we must not mail, or one that left: suppressed
addresses, subscribers who bounced or complained, erased addresses, and subscriptions that
were ended here are skipped and reported. Addresses already subscribed are left as they are,
so running the same import again changes nothing.

The file is read twice, a line at a time. The first pass checks that the whole file can be
read (encoding, CSV quoting, the header) and notes the first line of each address; only
then does the second pass check each row and write the good ones, a batch per transaction
(a subscriber together with its subscription, never one without the other). Bad rows are
reported by line number with the reason; the good ones are kept.
"""

import csv
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from ..models import (
    ErasedAddress,
    Newsletter,
    Subscriber,
    Subscription,
    Suppression,
    is_plain_address,
    normalise_email,
)
from .exporting import unescape_cell

COLUMNS = {
    "email": "email",
    "email_address": "email",
    "e_mail": "email",
    "name": "name",
    "language": "language",
    "subscribed_at": "subscribed_at",
    "consent_at": "subscribed_at",
    "consent_date": "subscribed_at",
    "status": "status",
    "suppressed": "suppressed",
}
IMPORTED_STATUSES = {"", "subscribed", "confirmed", "active"}
NAME_LENGTH = Subscriber._meta.get_field("name").max_length


class ImportFileError(Exception):
    """The file cannot be imported at all; nothing was written."""


@dataclass(frozen=True)
class Problem:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class Row:
    line: int
    email: str
    name: str = ""
    language: str = ""
    subscribed_at: datetime | None = None


@dataclass
class ImportReport:
    dry_run: bool = False
    rows: int = 0
    added: int = 0
    already: int = 0  # confirmed before this import
    pending: int = 0  # waiting for their own confirmation: left waiting
    skipped: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # when no callback takes them

    def __str__(self) -> str:
        added = "would be added" if self.dry_run else "added"
        return (
            f"{self.rows} rows: {self.added} {added}, {self.already} already subscribed, "
            f"{self.pending} waiting for their own confirmation (left so), "
            f"{self.skipped} skipped"
        )


def _lines(handle) -> Iterator[str]:
    """The file's lines as text; a line that is not UTF-8 stops the import, by number."""
    for number, raw in enumerate(handle, 1):
        try:
            yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            raise ImportFileError(
                f"line {number}: this is not UTF-8 text. Save the file as CSV in UTF-8 "
                "(spreadsheet programs call it 'CSV UTF-8') and import it again."
            ) from None


def _records(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(first line number, fields) of every record after the header, header first."""
    with path.open("rb") as handle:
        reader = csv.reader(_lines(handle), strict=True)
        line = 1
        try:
            for fields in reader:
                yield line, fields
                line = reader.line_num + 1
        except csv.Error as error:
            raise ImportFileError(
                f"line {line}: this cannot be read as CSV ({error}). A quote that is "
                "opened and never closed takes in the lines after it."
            ) from None


def _header(fields: list[str] | None) -> tuple[dict[str, int], list[str]]:
    """The index of each known column, and the names of the ignored ones."""
    if not fields:
        raise ImportFileError("line 1: the file is empty; its first line must name the columns.")
    if any("@" in name for name in fields):
        raise ImportFileError(
            "line 1: this looks like an address, not a header. Add a first line naming the "
            "columns, e.g. email,name"
        )
    columns: dict[str, int] = {}
    ignored = []
    for index, name in enumerate(fields):
        column = COLUMNS.get(name.strip().lower().replace(" ", "_").replace("-", "_"))
        if column is None:
            ignored.append(name.strip() or f"column {index + 1}")
        elif column in columns:
            raise ImportFileError(f"line 1: two columns give the {column!r}; keep one.")
        else:
            columns[column] = index
    if "email" not in columns:
        raise ImportFileError(
            f"line 1: the header has no 'email' column (it names: {', '.join(fields)}). "
            "The first line must name the columns, one of them 'email'."
        )
    return columns, ignored


def _consent_date(text: str, now: datetime) -> datetime | None:
    if not text:
        return None
    try:
        value = parse_datetime(text)
        if value is None and (day := parse_date(text)) is not None:
            value = datetime.combine(day, time.min, tzinfo=UTC)
    except ValueError:  # well-formed but impossible, e.g. month 13
        value = None
    if value is None:
        raise ValueError(
            f"{text[:60]!r} is not a date; write it as 2024-03-01 or 2024-03-01T09:30:00Z"
        )
    if timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    if value > now:
        raise ValueError(f"the consent date {text[:60]!r} lies in the future")
    return value


def _language(text: str) -> str:
    codes = [code for code, _name in settings.LANGUAGES]
    text = text.lower().replace("_", "-")
    for candidate in (text, text.split("-")[0]):
        if candidate in codes:
            return candidate
    raise ValueError(f"unknown language {text[:20]!r} (use one of: {', '.join(codes)})")


def parse_row(
    line: int, fields: list[str], columns: dict[str, int], width: int, now: datetime
) -> Row | str:
    """The row, or the reason it cannot be imported."""
    if len(fields) < width:
        return f"missing columns: {len(fields)} fields where the header names {width}"
    if len(fields) > width:
        return (
            f"{len(fields)} fields where the header names {width} "
            "(a comma in a name must be inside quotes)"
        )

    def get(column: str) -> str:
        return unescape_cell(fields[columns[column]].strip()) if column in columns else ""

    raw = get("email")
    if not raw:
        return "no email address"
    try:
        email = normalise_email(raw)
    except ValidationError:
        email = ""
    if not is_plain_address(email):
        return f"{raw[:100]!r} is not a valid email address"
    if (status := get("status").lower()) not in IMPORTED_STATUSES:
        return f"the status is {status[:40]!r}: only subscribed rows are imported"
    if suppressed := get("suppressed"):
        return f"marked suppressed in the file ({suppressed[:40]})"
    name = get("name")
    if len(name) > NAME_LENGTH:
        return f"the name is longer than {NAME_LENGTH} characters"
    try:
        language = _language(text) if (text := get("language")) else ""
        subscribed_at = _consent_date(get("subscribed_at"), now)
    except ValueError as error:
        return str(error)
    return Row(line, email, name, language, subscribed_at)


class _FirstLines:
    """The first line of each good address in the file, kept in a private temporary SQLite
    database on disk (SQLite deletes it on close) rather than in memory: a million addresses
    in a Python set take some 100 MB."""

    def __init__(self):
        self.db = sqlite3.connect("")
        self.db.execute("CREATE TABLE seen (email TEXT PRIMARY KEY, line INTEGER) WITHOUT ROWID")

    def add(self, rows: list[Row]) -> None:
        self.db.executemany(
            "INSERT OR IGNORE INTO seen VALUES (?, ?)", [(row.email, row.line) for row in rows]
        )

    def of(self, emails: list[str]) -> dict[str, int]:
        if not emails:
            return {}
        marks = ",".join("?" * len(emails))
        query = f"SELECT email, line FROM seen WHERE email IN ({marks})"  # noqa: S608 (marks only)
        return dict(self.db.execute(query, emails))

    def close(self) -> None:
        self.db.close()


def _refusals(emails: list[str]) -> dict[str, str]:
    """Why each of these addresses must not be subscribed by an import, if it must not."""
    reasons = {
        email: f"suppressed ({str(dict(Suppression.Reason.choices).get(reason, reason)).lower()})"
        for email, reason in Suppression.objects.filter(email__in=emails).values_list(
            "email", "reason"
        )
    }
    for email, status in (
        Subscriber.objects.filter(email__in=emails)
        .exclude(status=Subscriber.Status.ACTIVE)
        .values_list("email", "status")
    ):
        label = str(dict(Subscriber.Status.choices).get(status, status)).lower()
        reasons.setdefault(email, f"the subscriber is marked {label}; the address is not mailed")
    for email, entry in ErasedAddress.objects.matching(emails).items():
        reasons.setdefault(email, f"erased on {entry.erased_on} ({entry.get_reason_display()})")
    return reasons


@dataclass
class _Import:
    newsletter: Newsletter
    source: str
    policy_version: str
    dry_run: bool
    report: ImportReport
    emit: Callable[[Problem], None]
    started: datetime

    def batch(self, rows: list[Row], problems: list[Problem], first_lines: _FirstLines) -> None:
        """Check a batch of parsed rows against the file and the database, then write the
        good ones in one transaction. Problems are reported in line order."""
        first = first_lines.of([row.email for row in rows])
        unique = []
        for row in rows:
            if first[row.email] != row.line:
                problems.append(Problem(row.line, f"duplicate of line {first[row.email]}"))
            else:
                unique.append(row)
        emails = [row.email for row in unique]
        refusals = _refusals(emails)
        existing = dict(Subscriber.objects.filter(email__in=emails).values_list("email", "pk"))
        subscribed = dict(
            Subscription.objects.filter(
                newsletter=self.newsletter, subscriber_id__in=existing.values()
            ).values_list("subscriber_id", "status")
        )
        new = []
        for row in unique:
            status = subscribed.get(existing.get(row.email))
            if row.email in refusals:
                problems.append(Problem(row.line, refusals[row.email]))
            elif status == Subscription.Status.UNSUBSCRIBED:
                reason = "unsubscribed from this newsletter here; an import does not bring back"
                problems.append(Problem(row.line, reason))
            elif status == Subscription.Status.CONFIRMED:
                self.report.already += 1
            elif status == Subscription.Status.PENDING:
                self.report.pending += 1
            else:
                new.append(row)
        if new and not self.dry_run:
            self.write(new, existing)
        self.report.added += len(new)
        self.report.skipped += len(problems)
        for problem in sorted(problems, key=lambda item: item.line):
            self.emit(problem)

    @transaction.atomic
    def write(self, rows: list[Row], existing: dict[str, int]) -> None:
        # ignore_conflicts: a reader signing up meanwhile keeps their own record.
        Subscriber.objects.bulk_create(
            [
                Subscriber(email=row.email, name=row.name, language=row.language)
                for row in rows
                if row.email not in existing
            ],
            ignore_conflicts=True,
        )
        ids = dict(
            Subscriber.objects.filter(email__in=[row.email for row in rows]).values_list(
                "email", "pk"
            )
        )
        Subscription.objects.bulk_create(
            [
                Subscription(
                    subscriber_id=ids[row.email],
                    newsletter=self.newsletter,
                    status=Subscription.Status.CONFIRMED,
                    consent_at=row.subscribed_at or self.started,
                    consent_source=self.source,
                    policy_version=self.policy_version,
                    confirmed_at=self.started,
                )
                for row in rows
            ],
            ignore_conflicts=True,
        )


def import_csv(
    path: str | Path,
    *,
    newsletter: Newsletter,
    run_by: str,
    policy_version: str = "",
    dry_run: bool = False,
    batch_size: int = 1000,
    on_problem: Callable[[Problem], None] | None = None,
) -> ImportReport:
    """Import the file's good rows into ``newsletter`` (see the module's docstring); bad ones
    go to ``on_problem`` (or ``report.problems``). ``dry_run`` checks everything against the
    database and writes nothing. Raises ``ImportFileError`` before writing anything if the
    file cannot be read."""
    path = Path(path)
    started = timezone.now()
    report = ImportReport(dry_run=dry_run)
    source = f"import:{path.name} ({started:%Y-%m-%d %H:%M} UTC, by {run_by})"
    job = _Import(
        newsletter=newsletter,
        source=source[:500],
        policy_version=policy_version,
        dry_run=dry_run,
        report=report,
        emit=on_problem or report.problems.append,
        started=started,
    )
    first_lines = _FirstLines()
    try:
        records = _records(path)
        header = next(records, (1, None))[1]
        columns, report.ignored_columns = _header(header)
        width = len(header)
        good = []
        for line, fields in records:  # the first pass
            if fields and isinstance(row := parse_row(line, fields, columns, width, started), Row):
                good.append(row)
                if len(good) >= batch_size:
                    first_lines.add(good)
                    good = []
        first_lines.add(good)

        records = _records(path)
        next(records)
        rows: list[Row] = []
        problems: list[Problem] = []
        for line, fields in records:
            if not fields:
                continue  # a blank line
            report.rows += 1
            row = parse_row(line, fields, columns, width, started)
            if isinstance(row, Row):
                rows.append(row)
            else:
                problems.append(Problem(line, row))
            if len(rows) + len(problems) >= batch_size:
                job.batch(rows, problems, first_lines)
                rows, problems = [], []
        if rows or problems:
            job.batch(rows, problems, first_lines)
    finally:
        first_lines.close()
    return report
