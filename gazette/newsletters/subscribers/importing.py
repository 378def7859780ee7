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

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from ..models import ErasedAddress, Newsletter, Subscriber, Subscription, Suppression
from .reading import ImportFileError, Row, header_columns, parse_row, records

__all__ = ["ImportFileError", "ImportReport", "Problem", "import_csv"]


@dataclass(frozen=True)
class Problem:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


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


def _refusals(emails: list[str], statuses: dict[str, str]) -> dict[str, str]:
    """Why each of these addresses must not be subscribed by an import, if it must not
    (``statuses``: the status of those that are subscribers already)."""
    reasons = {
        email: f"suppressed ({str(dict(Suppression.Reason.choices).get(reason, reason)).lower()})"
        for email, reason in Suppression.objects.filter(email__in=emails).values_list(
            "email", "reason"
        )
    }
    for email, status in statuses.items():
        if status == Subscriber.Status.ACTIVE:
            continue
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
        known = Subscriber.objects.filter(email__in=emails).values_list("email", "pk", "status")
        existing = {email: pk for email, pk, _status in known}
        refusals = _refusals(emails, {email: status for email, _pk, status in known})
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
                reason = (
                    "unsubscribed from this newsletter here; an import does not bring them back"
                )
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
        rows_of_file = records(path)
        header = next(rows_of_file, (1, None))[1]
        columns, report.ignored_columns = header_columns(header)
        width = len(header)
        good = []
        for line, fields in rows_of_file:  # the first pass
            if fields and isinstance(row := parse_row(line, fields, columns, width, started), Row):
                good.append(row)
                if len(good) >= batch_size:
                    first_lines.add(good)
                    good = []
        first_lines.add(good)

        rows_of_file = records(path)
        next(rows_of_file)
        rows: list[Row] = []
        problems: list[Problem] = []
        for line, fields in rows_of_file:
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
