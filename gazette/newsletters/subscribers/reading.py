"""Reading a subscriber CSV file for the import: the lines as text, the records with the line
each starts on, the header's columns, and each row checked on its own (the address, the
consent date, the language). Problems that stop the whole file raise ``ImportFileError``;
a row's problem is returned as its reason."""

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from ..models import Subscriber, is_plain_address, normalise_email
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


@dataclass
class Row:
    line: int
    email: str
    name: str = ""
    language: str = ""
    subscribed_at: datetime | None = None


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


def records(path: Path) -> Iterator[tuple[int, list[str]]]:
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


def header_columns(fields: list[str] | None) -> tuple[dict[str, int], list[str]]:
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
