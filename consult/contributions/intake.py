"""Read contributions from a CSV or JSON-lines file and store them idempotently.

Columns: email, theme, kind, text, language (nl/en, default nl), quote_permission
(attributable / role_only / not_quotable, default role_only). Every bad row is reported with its
row number and column; valid rows are stored; re-reading the same file stores nothing twice.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.i18n import gettext as _
from consult.i18n import ngettext
from consult.text import allow_csv_fields, clean_text
from models import (
    AttendeeStatus,
    ConsultationSession,
    Contribution,
    ContributionKind,
    Invitation,
    Person,
    QuotePermission,
    SessionAttendee,
    Theme,
)

MAX_TEXT = 5000
REQUIRED = ("email", "theme", "kind", "text")

# Column headers as a Dutch or an English spreadsheet names them, in any case.
HEADERS: dict[str, str] = {
    "email": "email",
    "e-mail": "email",
    "e-mailadres": "email",
    "theme": "theme",
    "thema": "theme",
    "kind": "kind",
    "soort": "kind",
    "text": "text",
    "tekst": "text",
    "language": "language",
    "taal": "language",
    "quote_permission": "quote_permission",
    "citeren": "quote_permission",
    "citeerbaar": "quote_permission",
}
# Dutch answers in the permission column: "ja" (with name), "rol" (role only), "nee".
PERMISSIONS_NL = {
    "ja": QuotePermission.ATTRIBUTABLE.value,
    "met naam": QuotePermission.ATTRIBUTABLE.value,
    "rol": QuotePermission.ROLE_ONLY.value,
    "alleen rol": QuotePermission.ROLE_ONLY.value,
    "nee": QuotePermission.NOT_QUOTABLE.value,
}


@dataclass(frozen=True)
class ContributionRow:
    row: int
    email: str
    theme: str
    kind: ContributionKind
    text: str
    language: str
    quote_permission: QuotePermission


@dataclass(frozen=True)
class InputError:
    row: int
    column: str
    reason: str


@dataclass
class IntakeResult:
    rows: list[ContributionRow] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)


def _cell(record: Mapping[str, object], key: str) -> str:
    value = record.get(key)
    return "" if value is None else clean_text(str(value)).strip()


def parse_contributions(
    numbered_records: Iterable[tuple[int, Mapping[str, object]]], themes: Collection[str]
) -> IntakeResult:
    """Validate (row number, record) pairs; the row number is what the user sees in the file."""
    result = IntakeResult()
    for row_number, raw in numbered_records:
        record = {HEADERS.get(str(k).strip().lower(), str(k)): v for k, v in raw.items() if k}
        errors = [
            InputError(row_number, c, _("required field is empty"))
            for c in REQUIRED
            if not _cell(record, c)
        ]
        theme = _cell(record, "theme")
        if theme and theme not in themes:
            known = ", ".join(sorted(themes))
            errors.append(
                InputError(
                    row_number,
                    "theme",
                    _("unknown theme '%(theme)s' (known: %(known)s)", theme=theme, known=known),
                )
            )
        kind = _cell(record, "kind")
        if kind and kind not in ContributionKind.__members__.values():
            known = ", ".join(k.value for k in ContributionKind)
            errors.append(
                InputError(
                    row_number,
                    "kind",
                    _("unknown kind '%(kind)s' (%(known)s)", kind=kind, known=known),
                )
            )
        language = _cell(record, "language").lower() or "nl"
        if language not in ("nl", "en"):
            errors.append(
                InputError(
                    row_number,
                    "language",
                    _("unknown language '%(language)s' (nl or en)", language=language),
                )
            )
        given = _cell(record, "quote_permission")
        permission = PERMISSIONS_NL.get(given.lower(), given) or QuotePermission.ROLE_ONLY.value
        if permission not in QuotePermission.__members__.values():
            errors.append(
                InputError(
                    row_number,
                    "quote_permission",
                    _(
                        "unknown quote permission '%(given)s' (ja, rol or nee)",
                        given=given,
                    ),
                )
            )
        text = _cell(record, "text")
        if len(text) > MAX_TEXT:
            errors.append(
                InputError(
                    row_number,
                    "text",
                    _(
                        "longer than %(maximum)s characters (%(length)s)",
                        maximum=MAX_TEXT,
                        length=len(text),
                    ),
                )
            )
        if errors:
            result.errors.extend(errors)
            continue
        result.rows.append(
            ContributionRow(
                row=row_number,
                email=_cell(record, "email").lower(),
                theme=theme,
                kind=ContributionKind(kind),
                text=text,
                language=language,
                quote_permission=QuotePermission(permission),
            )
        )
    return result


def _csv_records(fh: TextIO) -> Iterator[tuple[int, Mapping[str, object]]]:
    """(row, record) numbered as a spreadsheet shows them: blank rows count but yield nothing.

    csv.DictReader skips blank lines without counting them, which shifted every later row
    number; a quoted cell spanning lines is still one row.
    """
    header: list[str] | None = None
    # Dutch Excel saves "CSV" with semicolons; the header line tells which one this file uses.
    first_line = fh.readline()
    fh.seek(0)
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    for number, cells in enumerate(csv.reader(fh, delimiter=delimiter), start=1):
        if not any(cell.strip() for cell in cells):
            continue
        if header is None:
            header = cells
            unknown = [h for h in header if h.strip() and h.strip().lower() not in HEADERS]
            absent = sorted(set(REQUIRED) - {HEADERS.get(h.strip().lower()) for h in header})
            if unknown or absent:
                raise InputFileError(_header_problem(unknown, absent))
            continue
        yield number, dict(zip(header, cells, strict=False))


class InputFileError(ValueError):
    """The file as a whole cannot be read (its header); the message is in the reader's
    language."""


def _header_problem(unknown: list[str], absent: list[str]) -> str:
    parts = []
    if unknown:
        parts.append(
            ngettext(
                "unknown column %(columns)s",
                "unknown columns %(columns)s",
                len(unknown),
                columns=", ".join(f"'{h}'" for h in unknown),
            )
        )
    if absent:
        parts.append(
            ngettext(
                "column missing: %(columns)s",
                "columns missing: %(columns)s",
                len(absent),
                columns=", ".join(absent),
            )
        )
    return _(
        "row 1 (header): %(problems)s. Known columns: email, theme, kind, text, language, "
        "quote_permission (or in Dutch: email, thema, soort, tekst, taal, citeren)",
        problems="; ".join(parts),
    )


def read_contributions(path: Path, themes: Collection[str]) -> IntakeResult:
    """Read a .jsonl file (row = line number) or a CSV file with a header (row 1)."""
    if path.suffix.lower() != ".jsonl":
        allow_csv_fields(path.stat().st_size)
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return parse_contributions(_csv_records(fh), themes)
    records: list[tuple[int, Mapping[str, object]]] = []
    bad_lines: list[InputError] = []
    # utf-8-sig: editors on Windows often start the file with a byte-order mark.
    with path.open(encoding="utf-8-sig") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                bad_lines.append(
                    InputError(number, "", _("not valid JSON (%(reason)s)", reason=exc.msg))
                )
                continue
            if not isinstance(value, dict):
                bad_lines.append(InputError(number, "", _("not a JSON object")))
                continue
            records.append((number, value))
    result = parse_contributions(records, themes)
    result.errors = sorted(bad_lines + result.errors, key=lambda e: e.row)
    return result


def source_key(round_id: int, row: ContributionRow) -> str:
    digest = hashlib.sha256(
        "\x1f".join((row.email, row.theme, row.kind.value, row.text)).encode("utf-8")
    ).hexdigest()
    return f"round {round_id}:{digest}"


@dataclass(frozen=True)
class StoreResult:
    stored: int
    already_present: int
    errors: list[InputError]


def store_contributions(
    session: Session, round_id: int, rows: Iterable[ContributionRow]
) -> StoreResult:
    themes = {t.slug: t for t in session.scalars(select(Theme))}
    invited = {
        email: person_id
        for email, person_id in session.execute(
            select(Person.email, Person.id)
            .join(Invitation, Invitation.person_id == Person.id)
            .where(Invitation.round_id == round_id)
        )
    }
    seats = {
        (person_id, theme_id): session_id
        for person_id, theme_id, session_id in session.execute(
            select(SessionAttendee.person_id, ConsultationSession.theme_id, ConsultationSession.id)
            .join(SessionAttendee.session)
            .where(
                ConsultationSession.round_id == round_id,
                SessionAttendee.status == AttendeeStatus.SCHEDULED,
            )
        )
    }
    present = set(
        session.scalars(select(Contribution.source_key).where(Contribution.round_id == round_id))
    )
    stored = already = 0
    errors: list[InputError] = []
    for row in rows:
        person_id = invited.get(row.email)
        if person_id is None:
            errors.append(InputError(row.row, "email", _("not invited to this round")))
            continue
        key = source_key(round_id, row)
        if key in present:
            already += 1
            continue
        theme = themes[row.theme]
        session.add(
            Contribution(
                round_id=round_id,
                person_id=person_id,
                theme_id=theme.id,
                session_id=seats.get((person_id, theme.id)),
                kind=row.kind,
                text=row.text,
                language=row.language,
                quote_permission=row.quote_permission,
                source_key=key,
            )
        )
        present.add(key)
        stored += 1
    session.flush()
    return StoreResult(stored, already, errors)
