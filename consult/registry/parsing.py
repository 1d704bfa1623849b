"""Parse the secretariat's registry of invitees (CSV or Excel) into validated rows.

Bad rows never stop an import: every problem becomes a `RowError` the secretariat can fix in
the spreadsheet, and only rows without any problem end up in `ParseResult.rows`. Only problems
with the file as a whole (unreadable, unknown type, required columns absent) raise
`RegistryFileError`.

Row numbers are the ones a spreadsheet user sees: the header is row 1 and the first data row
is row 2, empty rows included, so that "rij 5" in a message points at row 5 in Excel.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from itertools import zip_longest
from pathlib import Path
from typing import Any

from email_validator import EmailNotValidError, validate_email

from consult.i18n import current_language, ngettext, normalise, pgettext
from consult.i18n import gettext as _
from consult.text import allow_csv_fields, clean_text

COLUMNS = ("organisation", "sector", "region", "name", "email", "role", "language")
REQUIRED_COLUMNS = ("organisation", "sector", "region", "name", "email")
MAX_FIELD_LENGTH = 200
DEFAULT_LANGUAGE = "nl"
# The regions' coordinators and steering groups: a sheet of their own in the workbook (named
# as in COORDINATOR_SHEETS), or a CSV file with these columns and no organisation or sector.
COORDINATOR_COLUMNS = ("region", "name", "email", "role")
COORDINATOR_SHEETS = frozenset({"coordinatoren", "coördinatoren", "coordinators"})
COORDINATOR_ROLES: Mapping[str, str] = {
    "coordinator": "coordinator",
    "coördinator": "coordinator",
    "regiocoordinator": "coordinator",
    "regiocoördinator": "coordinator",
    "stuurgroep": "stuurgroep",
    "stuurgroeplid": "stuurgroep",
    "steeringgroup": "stuurgroep",
    "steeringgroupmember": "stuurgroep",
}

# Header spellings seen in registries kept by Dutch secretariats; compared after _header_key().
HEADER_ALIASES: Mapping[str, str] = {
    "organisation": "organisation",
    "organization": "organisation",
    "organisatie": "organisation",
    "sector": "sector",
    "region": "region",
    "regio": "region",
    "name": "name",
    "naam": "name",
    "email": "email",
    "e-mail": "email",
    "e-mailadres": "email",
    "emailadres": "email",
    "email address": "email",
    "e-mail address": "email",
    "role": "role",
    "rol": "role",
    "functie": "role",
    "language": "language",
    "taal": "language",
}

LANGUAGE_ALIASES: Mapping[str, str] = {
    "nl": "nl",
    "nederlands": "nl",
    "dutch": "nl",
    "en": "en",
    "engels": "en",
    "english": "en",
}


def column_label(column: str, language: str | None = None, sheet: str = "") -> str:
    """A column as the messages name it, matching the headers the secretariat typically uses
    ("functie" in Dutch for `role`; on the coordinators' sheet "rol")."""
    if sheet and column == "role":
        return pgettext("coordinator column", "role", language)
    labels = {
        "organisation": pgettext("registry column", "organisation", language),
        "sector": pgettext("registry column", "sector", language),
        "region": pgettext("registry column", "region", language),
        "name": pgettext("registry column", "name", language),
        "email": pgettext("registry column", "email", language),
        "role": pgettext("registry column", "role", language),
        "language": pgettext("registry column", "language", language),
    }
    return labels.get(column, column)


_DUPLICATE_DETAIL = "also on row {row}"
_DUPLICATE_DETAIL_RE = re.compile(r"^also on row (\d+)$")

# Invisible characters that survive copy-paste from Word/Outlook and would otherwise end up in
# email headers or make two identical-looking values differ (clean_text drops the bidi ones).
_INVISIBLE = dict.fromkeys([0x200B, 0xFEFF], None)
_DISPLAY_LIMIT = 60
# How problems on the coordinators' sheet (or in their CSV file) name where they are.
COORDINATOR_SHEET_LABEL = "coordinatoren"


@dataclass(frozen=True)
class RegistryRow:
    row: int
    organisation: str
    sector: str
    region: str
    name: str
    email: str
    role: str
    language: str


@dataclass(frozen=True)
class CoordinatorRow:
    row: int
    region: str
    name: str
    email: str
    # "coordinator" or "stuurgroep" (models.CoordinatorRole)
    role: str


@dataclass(frozen=True)
class RowError:
    """One problem in one cell (or, with `column == ""`, in a whole row).

    `detail` depends on `reason`: for duplicate_in_file "also on row N" (N = the first
    occurrence); for unknown_sector / unknown_region the closest known value, if any; for
    too_long the length of the value; for bad_email the validator's (English) explanation.
    """

    row: int
    column: str
    reason: str
    value: str
    detail: str = ""
    # The workbook's sheet when it is not the registry's own (the coordinators' sheet).
    sheet: str = ""


@dataclass
class ParseResult:
    rows: list[RegistryRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    coordinators: list[CoordinatorRow] = field(default_factory=list)

    def rejected_rows(self) -> set[int]:
        """The registry's rejected rows (the coordinators' are in `rejected_coordinators`)."""
        return {error.row for error in self.errors if not error.sheet}

    def rejected_coordinators(self) -> set[int]:
        return {error.row for error in self.errors if error.sheet}


@dataclass(frozen=True)
class Formula:
    """An Excel formula cell whose file holds no computed value (files written by programs
    other than Excel): the secretariat sees a value in Excel, the import would see nothing."""

    text: str


class RegistryFileError(Exception):
    """The file as a whole cannot be used; the message is in the reader's language and meant
    for the secretariat."""

    def __init__(
        self, message: str, *, path: Path | None = None, missing_columns: Sequence[str] = ()
    ) -> None:
        super().__init__(message)
        self.path = path
        self.missing_columns: tuple[str, ...] = tuple(missing_columns)


# --------------------------------------------------------------------------------------------
# Cell values


def _cell_text(value: object) -> str:
    """Turn a cell from csv or openpyxl into the text the user sees in the spreadsheet."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Formula):
        return value.text
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    # Excel stores every number as a float; 3.0 was typed as "3".
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime) and value.time() == time(0, 0):
        return value.date().isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _clean_text(text: str) -> str:
    """Remove line breaks, control and invisible characters; collapse runs of whitespace.

    Line breaks become spaces rather than vanishing so "Jan<Alt+Enter>Jansen" stays readable.
    """
    text = clean_text(text).translate(_INVISIBLE)
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in text)
    return " ".join(text.split())


def _match_key(text: str) -> str:
    # Spaces are ignored altogether: "Steden vierkant" and "Stedenvierkant" are the same region
    # to the secretariat, and _canonical_lookup refuses configurations where that would clash.
    return "".join(_clean_text(text).casefold().split())


def _header_key(text: str) -> str:
    return _clean_text(text.lstrip("\ufeff")).casefold()


def _display(value: str) -> str:
    shown = _clean_text(value)
    if len(shown) > _DISPLAY_LIMIT:
        shown = shown[: _DISPLAY_LIMIT - 1] + "…"
    return shown


def _canonical_lookup(values: Collection[str], what: str) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for value in values:
        key = _match_key(value)
        if key in lookup and lookup[key] != value:
            raise ValueError(f"{what} {lookup[key]!r} and {value!r} only differ in case/spacing")
        lookup[key] = value
    return lookup


def _suggestion(key: str, lookup: Mapping[str, str]) -> str:
    matches = difflib.get_close_matches(key, list(lookup), n=1, cutoff=0.7)
    return lookup[matches[0]] if matches else ""


def _column_for_header(header: object) -> str | None:
    """The column in COLUMNS a header cell stands for, or None for a column we do not use."""
    return HEADER_ALIASES.get(_header_key(_cell_text(header)))


# --------------------------------------------------------------------------------------------
# Records -> rows


def _canonical_record(record: Mapping[str, object]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, value in record.items():
        column = _column_for_header(key)
        if column is None:
            continue
        if column in result:
            raise ValueError(f"record has more than one key for column {column!r}")
        result[column] = value
    return result


def _check_value(
    column: str, text: str, sector_lookup: Mapping[str, str], region_lookup: Mapping[str, str]
) -> tuple[str, str, str]:
    """Validate one non-empty, cleaned cell: (clean value, "", "") or ("", reason, detail)."""
    if len(text) > MAX_FIELD_LENGTH:
        return "", "too_long", str(len(text))
    key = _match_key(text)
    if column == "sector":
        if key in sector_lookup:
            return sector_lookup[key], "", ""
        return "", "unknown_sector", _suggestion(key, sector_lookup)
    if column == "region":
        if key in region_lookup:
            return region_lookup[key], "", ""
        return "", "unknown_region", _suggestion(key, region_lookup)
    if column == "language":
        if key in LANGUAGE_ALIASES:
            return LANGUAGE_ALIASES[key], "", ""
        return "", "bad_language", ""
    if column == "email":
        try:
            info = validate_email(text, check_deliverability=False)
        except EmailNotValidError as exc:
            return "", "bad_email", str(exc)
        return info.normalized.lower(), "", ""
    return text, "", ""


def parse_records(
    records: Iterable[Mapping[str, object]],
    *,
    sectors: Collection[str],
    regions: Collection[str],
    first_row: int = 2,
) -> ParseResult:
    """Validate records (one per spreadsheet row, keys = COLUMNS or their header aliases).

    Every record counts for numbering, empty ones included, so pass empty rows through rather
    than filtering them out: otherwise every row number after the gap would be off.
    Keys that are not a known column are ignored; an absent key reads as an empty cell.
    """
    sector_lookup = _canonical_lookup(sectors, "sectors")
    region_lookup = _canonical_lookup(regions, "regions")
    result = ParseResult()
    first_seen: dict[str, int] = {}

    for row, record in enumerate(records, start=first_row):
        cells = _canonical_record(record)
        raw = {column: _cell_text(cells.get(column)) for column in COLUMNS}
        if not any(value.strip() for value in raw.values()):
            continue
        errors: list[RowError] = []
        clean: dict[str, str] = {}
        for column in COLUMNS:
            if isinstance(cells.get(column), Formula):
                errors.append(RowError(row, column, "formula", raw[column]))
                continue
            text = _clean_text(raw[column])
            if not text:
                if column in REQUIRED_COLUMNS:
                    errors.append(RowError(row, column, "missing", raw[column]))
                else:
                    clean[column] = DEFAULT_LANGUAGE if column == "language" else ""
                continue
            value, reason, detail = _check_value(column, text, sector_lookup, region_lookup)
            if column == "email" and not reason:
                if value in first_seen:
                    reason, detail = (
                        "duplicate_in_file",
                        _DUPLICATE_DETAIL.format(row=first_seen[value]),
                    )
                else:
                    # Recorded even if this row fails on another column: the secretariat fixes
                    # that row, and the later copies are still duplicates of it.
                    first_seen[value] = row
            if reason:
                errors.append(RowError(row, column, reason, raw[column], detail))
            else:
                clean[column] = value

        if errors:
            result.errors.extend(errors)
        else:
            result.rows.append(RegistryRow(row=row, **clean))
    return result


def parse_coordinator_records(
    records: Iterable[Mapping[str, object]],
    *,
    regions: Collection[str],
    first_row: int = 2,
    sheet: str = COORDINATOR_SHEET_LABEL,
) -> ParseResult:
    """Validate the coordinators' records (keys: COORDINATOR_COLUMNS or their header aliases);
    numbered, and reported with `sheet`, as `parse_records` does for the registry."""
    region_lookup = _canonical_lookup(regions, "regions")
    result = ParseResult()
    first_seen: dict[tuple[str, str], int] = {}
    for row, record in enumerate(records, start=first_row):
        cells = _canonical_record(record)
        raw = {column: _cell_text(cells.get(column)) for column in COORDINATOR_COLUMNS}
        if not any(value.strip() for value in raw.values()):
            continue
        errors: list[RowError] = []
        clean: dict[str, str] = {}
        for column in COORDINATOR_COLUMNS:
            if isinstance(cells.get(column), Formula):
                errors.append(RowError(row, column, "formula", raw[column], sheet=sheet))
                continue
            text = _clean_text(raw[column])
            if not text:
                errors.append(RowError(row, column, "missing", raw[column], sheet=sheet))
                continue
            if column == "role":
                role = COORDINATOR_ROLES.get(_match_key(text).replace("-", ""))
                if role is None:
                    errors.append(
                        RowError(row, column, "bad_coordinator_role", raw[column], sheet=sheet)
                    )
                else:
                    clean[column] = role
                continue
            value, reason, detail = _check_value(column, text, {}, region_lookup)
            if reason:
                errors.append(RowError(row, column, reason, raw[column], detail, sheet=sheet))
            else:
                clean[column] = value
        if "region" in clean and "email" in clean:
            key = (clean["region"], clean["email"])
            if key in first_seen:
                errors.append(
                    RowError(
                        row,
                        "email",
                        "duplicate_in_file",
                        raw["email"],
                        _DUPLICATE_DETAIL.format(row=first_seen[key]),
                        sheet=sheet,
                    )
                )
            else:
                first_seen[key] = row
        if errors:
            result.errors.extend(errors)
        else:
            result.coordinators.append(CoordinatorRow(row=row, **clean))
    return result


# --------------------------------------------------------------------------------------------
# Files


def _read_csv_rows(path: Path) -> list[list[str]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RegistryFileError(
            _(
                "The file %(file)s cannot be opened (%(reason)s).",
                file=path.name,
                reason=exc.strerror or exc,
            ),
            path=path,
        ) from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # Excel's plain "CSV" export uses Windows-1252; only "CSV UTF-8" is accepted so that
        # accented names are never silently mangled.
        raise RegistryFileError(
            _(
                "The file %(file)s is not UTF-8 text. Save it in Excel as 'CSV UTF-8 "
                "(Comma delimited)' or as .xlsx and try again.",
                file=path.name,
            ),
            path=path,
        ) from exc
    allow_csv_fields(len(text))
    delimiter = _sniff_delimiter(text)
    try:
        # newline="" lets the csv module handle line breaks inside quoted cells.
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise RegistryFileError(
            _(
                "The file %(file)s is not a readable CSV file (%(reason)s).",
                file=path.name,
                reason=exc,
            ),
            path=path,
        ) from exc


def _sniff_delimiter(text: str) -> str:
    """Pick , or ; by which one splits the header into more cells.

    csv.Sniffer guesses from the whole sample and is easily fooled by commas inside names
    or addresses; the header row has no such content.
    """
    best, best_count = ",", 0
    for delimiter in (",", ";"):
        try:
            for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
                if any(cell.strip() for cell in record):
                    if len(record) > best_count:
                        best, best_count = delimiter, len(record)
                    break
        except csv.Error:
            continue
    return best


def _read_xlsx_rows(
    path: Path,
) -> tuple[list[tuple[object, ...]] | None, list[tuple[object, ...]] | None]:
    """(the registry's sheet, the coordinators' sheet); either may be absent (None)."""
    values = _xlsx_sheet_rows(path, data_only=True)
    # Read again for the formulas: a formula cell without a computed value reads as empty,
    # which would be reported as a missing value the secretariat can see in Excel.
    formulas = _xlsx_sheet_rows(path, data_only=False)
    found: list[list[tuple[object, ...]] | None] = []
    for part, formula_part in zip(values, formulas, strict=True):
        if part is None or formula_part is None:
            found.append(None)
            continue
        found.append(
            [
                tuple(
                    _formula_or(value, formula)
                    for value, formula in zip_longest(
                        row, formula_part[i] if i < len(formula_part) else ()
                    )
                )
                for i, row in enumerate(part)
            ]
        )
    return found[0], found[1]


def _is_coordinator_sheet(title: str) -> bool:
    return _header_key(title) in COORDINATOR_SHEETS


def _formula_or(value: object, formula: object) -> object:
    if value in (None, "") and isinstance(formula, str) and formula.startswith("="):
        return Formula(formula)
    return value


def _xlsx_sheet_rows(
    path: Path, *, data_only: bool
) -> tuple[list[tuple[object, ...]] | None, list[tuple[object, ...]] | None]:
    # Imported here so that CSV-only use does not pay for loading openpyxl.
    from openpyxl import load_workbook
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    # openpyxl raises a wide range of exception types for damaged or mislabelled files (zip,
    # XML, KeyError, ...); for the secretariat they all mean the same thing.
    try:
        workbook = load_workbook(path, read_only=True, data_only=data_only)
    except Exception as exc:
        raise RegistryFileError(
            _("The file %(file)s cannot be read as an Excel file (.xlsx).", file=path.name),
            path=path,
        ) from exc
    try:
        sheets = workbook.worksheets
        coordinators = [s for s in sheets if _is_coordinator_sheet(s.title)]
        others = [s for s in sheets if not _is_coordinator_sheet(s.title)]
        if (others and not isinstance(others[0], ReadOnlyWorksheet)) or not sheets:
            raise RegistryFileError(
                _("The first sheet of %(file)s is not a worksheet with data.", file=path.name),
                path=path,
            )

        def rows_of(sheet: Any) -> list[tuple[object, ...]] | None:
            if not isinstance(sheet, ReadOnlyWorksheet):
                return None
            # (openpyxl's stubs type iter_rows for the writable Worksheet only.)
            readable: Any = sheet
            # Some programs write a wrong size into the file; trusting it would silently
            # drop rows.
            readable.reset_dimensions()
            return list(readable.iter_rows(values_only=True))

        return (
            rows_of(others[0]) if others else None,
            rows_of(coordinators[0]) if coordinators else None,
        )
    except RegistryFileError:
        raise
    except Exception as exc:
        raise RegistryFileError(
            _("The file %(file)s cannot be read as an Excel file (.xlsx).", file=path.name),
            path=path,
        ) from exc
    finally:
        workbook.close()


def _header_columns(
    header: Sequence[object], path: Path, required: Sequence[str] = REQUIRED_COLUMNS
) -> dict[int, str]:
    positions: dict[int, str] = {}
    seen: dict[str, str] = {}
    for index, cell in enumerate(header):
        column = _column_for_header(cell)
        if column is None:
            continue
        text = _clean_text(_cell_text(cell))
        if column in seen:
            raise RegistryFileError(
                _(
                    "The header of %(file)s has two columns for the same thing: '%(first)s' "
                    "and '%(second)s'. Remove or rename one of them.",
                    file=path.name,
                    first=seen[column],
                    second=text,
                ),
                path=path,
            )
        seen[column] = text
        positions[index] = column
    missing = [column for column in required if column not in seen]
    if missing:
        names = ", ".join(f"{column_label(c)} ({c})" for c in missing)
        raise RegistryFileError(
            ngettext(
                "The header of %(file)s lacks a required column: %(columns)s.",
                "The header of %(file)s lacks required columns: %(columns)s.",
                len(missing),
                file=path.name,
                columns=names,
            ),
            path=path,
            missing_columns=missing,
        )
    return positions


def _records(
    rows: Sequence[Sequence[object]],
    path: Path,
    *,
    check_extra_cells: bool,
    required: Sequence[str] = REQUIRED_COLUMNS,
    sheet: str = "",
) -> tuple[int, list[dict[str, object]], list[RowError]]:
    """Split raw rows into (first data row number, records, whole-row errors)."""
    header_index = next(
        (i for i, cells in enumerate(rows) if any(_cell_text(c).strip() for c in cells)), None
    )
    if header_index is None:
        raise RegistryFileError(_("The file %(file)s is empty.", file=path.name), path=path)
    header = rows[header_index]
    positions = _header_columns(header, path, required)
    first_row = header_index + 2
    records: list[dict[str, object]] = []
    row_errors: list[RowError] = []
    for row, cells in enumerate(rows[header_index + 1 :], start=first_row):
        records.append(
            {column: cells[index] for index, column in positions.items() if index < len(cells)}
        )
        if not check_extra_cells:
            continue
        # In a CSV, cells right of the header almost always mean an unquoted delimiter inside
        # a value shifted the row; reading it as-is would put values in the wrong columns.
        # (In Excel they are just notes in a column without a header.)
        extra = [_clean_text(_cell_text(c)) for c in cells[len(header) :]]
        if any(extra):
            row_errors.append(
                RowError(row, "", "extra_cells", "; ".join(e for e in extra if e), sheet=sheet)
            )
    return first_row, records, row_errors


def _header_of(rows: Sequence[Sequence[object]]) -> set[str]:
    header = next((cells for cells in rows if any(_cell_text(c).strip() for c in cells)), ())
    return {column for column in map(_column_for_header, header) if column is not None}


def _without_shifted(result: ParseResult, row_errors: list[RowError]) -> ParseResult:
    if not row_errors:
        return result
    shifted = {error.row for error in row_errors}
    result.rows = [r for r in result.rows if r.row not in shifted]
    result.coordinators = [r for r in result.coordinators if r.row not in shifted]
    order = {column: i for i, column in enumerate(("", *COLUMNS))}
    result.errors = sorted(
        [*result.errors, *row_errors], key=lambda e: (e.row, order.get(e.column, 0))
    )
    return result


def read_registry(path: Path, *, sectors: Collection[str], regions: Collection[str]) -> ParseResult:
    """Read a registry from .csv (UTF-8, `,` or `;`) or .xlsx (first sheet).

    The header is the first non-empty row; columns with other headers (notes, phone numbers)
    are ignored. The regions' coordinators come from a sheet named "coordinatoren" in the
    workbook, or from a CSV file of their own: one whose header has neither an organisation
    nor a sector column (region, name, email, role: coordinator or stuurgroep).
    """
    suffix = path.suffix.lower()
    registry: Sequence[Sequence[object]] | None
    coordinators: Sequence[Sequence[object]] | None = None
    if suffix == ".csv":
        registry = _read_csv_rows(path)
        if not {"organisation", "sector"} & _header_of(registry) and _header_of(registry):
            registry, coordinators = None, registry
    elif suffix == ".xlsx":
        registry, coordinators = _read_xlsx_rows(path)
    else:
        raise RegistryFileError(
            _(
                "The file %(file)s has an unknown type ('%(suffix)s'). Use a .csv or .xlsx file.",
                file=path.name,
                suffix=path.suffix,
            ),
            path=path,
        )
    check = suffix == ".csv"
    result = ParseResult()
    if registry is not None:
        first_row, records, row_errors = _records(registry, path, check_extra_cells=check)
        parsed = parse_records(records, sectors=sectors, regions=regions, first_row=first_row)
        result = _without_shifted(parsed, row_errors)
    if coordinators is not None:
        sheet = COORDINATOR_SHEET_LABEL
        first_row, records, row_errors = _records(
            coordinators, path, check_extra_cells=check, required=COORDINATOR_COLUMNS, sheet=sheet
        )
        parsed = parse_coordinator_records(
            records, regions=regions, first_row=first_row, sheet=sheet
        )
        parsed = _without_shifted(parsed, row_errors)
        result.coordinators = parsed.coordinators
        result.errors = [*result.errors, *parsed.errors]
    return result


# --------------------------------------------------------------------------------------------
# Messages


def reason_text(error: RowError, language: str | None = None) -> str:
    """What is wrong, without where, in `language` (default: the current one), e.g.
    "ongeldig e-mailadres 'jan@@x'"."""
    language = normalise(language or current_language())
    value = f"'{_display(error.value)}'"
    reason = error.reason
    if reason == "missing":
        return _("required field is empty", language)
    if reason == "bad_email":
        text = _("invalid email address %(value)s", language, value=value)
        # The validator explains in English only.
        return f"{text} ({error.detail})" if language == "en" and error.detail else text
    if reason in ("unknown_sector", "unknown_region"):
        if reason == "unknown_sector":
            what = _("unknown sector %(value)s", language, value=value)
        else:
            what = _("unknown region %(value)s", language, value=value)
        if not error.detail:
            return what
        return _(
            "%(problem)s (did you mean '%(hint)s'?)", language, problem=what, hint=error.detail
        )
    if reason == "bad_coordinator_role":
        return _("unknown role %(value)s (use coordinator or stuurgroep)", language, value=value)
    if reason == "bad_language":
        return _("unknown language %(value)s (use nl or en)", language, value=value)
    if reason == "duplicate_in_file":
        match = _DUPLICATE_DETAIL_RE.match(error.detail)
        other = error.detail if match is None else _("row %(row)s", language, row=match.group(1))
        return _(
            "email address %(value)s appears earlier in the file (%(other)s)",
            language,
            value=value,
            other=other,
        )
    if reason == "too_long":
        length = int(error.detail or len(_clean_text(error.value)))
        return ngettext(
            "too long (%(num)s character, maximum %(maximum)s)",
            "too long (%(num)s characters, maximum %(maximum)s)",
            length,
            language,
            maximum=MAX_FIELD_LENGTH,
        )
    if reason == "formula":
        return _(
            "formula %(value)s without a computed value in the file; replace it by its value "
            "(Paste Special > Values) or save the file in Excel",
            language,
            value=value,
        )
    if reason == "extra_cells":
        return _(
            "more cells than header columns (%(value)s); is there an unquoted comma or "
            "semicolon in a value?",
            language,
            value=value,
        )
    text = f"{reason} {value}"
    return f"{text} ({error.detail})" if error.detail else text


def format_error(error: RowError, language: str | None = None) -> str:
    """One line for the secretariat in `language` (default: the current one), e.g.
    "rij 5, kolom email: ongeldig e-mailadres 'jan@@x'"."""
    lang = normalise(language or current_language())
    if error.column:
        where = _(
            "row %(row)s, column %(column)s",
            lang,
            row=error.row,
            column=column_label(error.column, lang, error.sheet),
        )
    else:
        where = _("row %(row)s", lang, row=error.row)
    if error.sheet:
        where = _("sheet %(sheet)s, %(where)s", lang, sheet=error.sheet, where=where)
    return f"{where}: {reason_text(error, lang)}"
