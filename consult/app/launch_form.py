"""Launching a round from the workplace's form (or an uploaded spec file): what the form's fields
say, turned into a RoundSpec checked by the same rules as `consult round launch` (RoundSpec's
validation and check_calendar), or what is wrong with each field in the reader's language.

Pure: no database, no request. The web route collects the fields, calls `check_fields` (or
`check_upload`, or `check_confirmed` for the confirmation step), and launches through
consult.app.launch only a spec without errors.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import Any, Final

from pydantic import ValidationError

from consult.i18n import format_datetime, format_time_range
from consult.i18n import gettext as _
from consult.spec import (
    AMSTERDAM,
    RoundSpec,
    RoundSpecError,
    check_calendar,
    parse_round_spec,
    problem_text,
)
from consult.taxonomy import Taxonomy

# Empty slot rows per theme on a fresh form, how many "more rows" adds, and the most a form
# shows (a round has a handful of candidate times per theme, not hundreds).
START_ROWS: Final = 3
MORE_ROWS: Final = 3
MAX_ROWS: Final = 30
# A spec file is a page of TOML; anything far larger is not one.
MAX_SPEC_BYTES: Final = 100_000
CHOICES: Final = ("refuse", "warn", "allow")
# The field that general problems (not about one field) are shown at.
GENERAL: Final = "launch"
UPLOAD: Final = "spec_file"

_DEFAULTS = RoundSpec.model_fields


def _default(name: str) -> str:
    return str(_DEFAULTS[name].default)


@dataclass(frozen=True)
class SlotRow:
    date: str = ""
    start: str = ""
    end: str = ""

    @property
    def empty(self) -> bool:
        return not (self.date or self.start or self.end)


@dataclass(frozen=True)
class LaunchFields:
    """What the form holds, as typed (text), so a form with errors shows it again."""

    name: str = ""
    slug: str = ""
    themes: tuple[str, ...] = ()
    # Per theme slug: its rows of date, start and end.
    slots: Mapping[str, tuple[SlotRow, ...]] = field(default_factory=dict)
    answer_date: str = ""
    answer_time: str = "17:00"
    input_date: str = ""
    input_time: str = "23:59"
    invitees_per_theme: str = _default("invitees_per_theme")
    group_min: str = _default("group_min")
    group_max: str = _default("group_max")
    regions: tuple[str, ...] = ()
    meeting_url: str = _default("meeting_url")
    holiday_slots: str = _default("holiday_slots")
    weekend_slots: str = _default("weekend_slots")
    rows: int = START_ROWS

    def rows_of(self, theme: str) -> tuple[SlotRow, ...]:
        """The theme's rows as the form shows them: what was typed, then empty rows."""
        typed = self.slots.get(theme, ())
        return typed + (SlotRow(),) * max(0, self.rows - len(typed))

    def with_more_rows(self) -> LaunchFields:
        return replace(self, rows=min(MAX_ROWS, self.rows + MORE_ROWS))

    def pairs(self) -> Iterator[tuple[str, str]]:
        """Every field as (name, value), as the form posts them: for hidden copies on the
        confirmation page, so "change" brings the form back as it was."""
        yield from (("name", self.name), ("slug", self.slug))
        yield from (("themes", t) for t in self.themes)
        for theme, rows in self.slots.items():
            for n, row in enumerate(rows, start=1):
                if not row.empty:
                    yield from (
                        (slot_field(theme, n, "date"), row.date),
                        (slot_field(theme, n, "start"), row.start),
                        (slot_field(theme, n, "end"), row.end),
                    )
        for name in (
            "answer_date",
            "answer_time",
            "input_date",
            "input_time",
            "invitees_per_theme",
            "group_min",
            "group_max",
        ):
            yield name, str(getattr(self, name))
        yield from (("regions", r) for r in self.regions)
        yield from (
            ("meeting_url", self.meeting_url),
            ("holiday_slots", self.holiday_slots),
            ("weekend_slots", self.weekend_slots),
            ("rows", str(self.rows)),
        )


def slot_field(theme: str, number: int, part: str) -> str:
    """The form field of one part (date, start, end) of a theme's slot row (from 1)."""
    return f"slot-{theme}-{number}-{part}"


def read_fields(
    value: Callable[[str], str], values: Callable[[str], list[str]], taxonomy: Taxonomy
) -> LaunchFields:
    """The form's fields from a posted form (`value(name)`: a text field, "" when absent;
    `values(name)`: every value of a repeated one)."""
    rows = _whole(value("rows"))
    count = max(1, min(MAX_ROWS, rows if rows is not None else START_ROWS))
    slots: dict[str, tuple[SlotRow, ...]] = {}
    for theme in taxonomy.themes:
        typed = [
            SlotRow(
                value(slot_field(theme.slug, n, "date")).strip(),
                value(slot_field(theme.slug, n, "start")).strip(),
                value(slot_field(theme.slug, n, "end")).strip(),
            )
            for n in range(1, MAX_ROWS + 1)
        ]
        # Keep every row up to the last one typed in; a row emptied in between stays empty.
        while typed and typed[-1].empty:
            typed.pop()
        slots[theme.slug] = tuple(typed)
        count = max(count, len(typed))
    return LaunchFields(
        name=value("name").strip(),
        slug=value("slug").strip(),
        themes=tuple(dict.fromkeys(values("themes"))),
        slots=slots,
        answer_date=value("answer_date").strip(),
        answer_time=value("answer_time").strip(),
        input_date=value("input_date").strip(),
        input_time=value("input_time").strip(),
        invitees_per_theme=value("invitees_per_theme").strip(),
        group_min=value("group_min").strip(),
        group_max=value("group_max").strip(),
        regions=tuple(dict.fromkeys(values("regions"))),
        meeting_url=value("meeting_url").strip(),
        holiday_slots=value("holiday_slots"),
        weekend_slots=value("weekend_slots"),
        rows=count,
    )


@dataclass(frozen=True)
class Checked:
    """A spec ready to launch (no errors), or what is wrong, per form field id."""

    spec: RoundSpec | None
    errors: Mapping[str, str] = field(default_factory=dict)
    # Slots launched despite a weekend or holiday, for the confirmation step.
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.spec is not None and not self.errors


class _Errors:
    """Errors per field, in the order found; a field keeps its first problem (a date that
    cannot be read is not also "missing")."""

    def __init__(self) -> None:
        self.by_field: dict[str, str] = {}

    def add(self, key: str, message: str) -> None:
        if key in self.by_field:
            if message not in self.by_field[key]:
                self.by_field[key] += " " + message
            return
        self.by_field[key] = message

    def first(self, key: str, message: str) -> None:
        self.by_field.setdefault(key, message)


_DATE_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DATE_DUTCH = re.compile(r"(\d{1,2})[-/](\d{1,2})[-/](\d{4})")
_TIME = re.compile(r"(\d{1,2})[:.](\d{2})")


def parse_date(text: str) -> date | None:
    """2027-04-27, or as the Dutch write it, 27-04-2027 or 27/4/2027."""
    if match := _DATE_ISO.fullmatch(text):
        year, month, day = (int(g) for g in match.groups())
    elif match := _DATE_DUTCH.fullmatch(text):
        day, month, year = (int(g) for g in match.groups())
    else:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_time(text: str) -> time | None:
    """14:00 or 14.00."""
    match = _TIME.fullmatch(text)
    if not match:
        return None
    hour, minute = (int(g) for g in match.groups())
    return time(hour, minute) if hour < 24 and minute < 60 else None


def _whole(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) <= 6 else None


def slug_from(name: str) -> str:
    """A round's short name (its key in commands and addresses) made from its name:
    "Ronde voorjaar 2027" becomes "ronde-voorjaar-2027"."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:99].rstrip("-")


def _labels(taxonomy: Taxonomy, language: str) -> dict[str, str]:
    """What each field is called in the messages (as the form's labels)."""
    labels = {
        "name": _("Name of the round"),
        "slug": _("Short name"),
        "themes": _("Themes"),
        "answer_date": _("Answer deadline"),
        "input_date": _("Input deadline"),
        "invitees_per_theme": _("Invitees per theme"),
        "group_min": _("Smallest group"),
        "group_max": _("Largest group"),
        "regions": _("Regions"),
        "meeting_url": _("Meeting link"),
        "holiday_slots": _("Slots on a public holiday"),
        "weekend_slots": _("Slots in the weekend"),
    }
    for theme in taxonomy.themes:
        labels[f"theme:{theme.slug}"] = theme.title_en if language == "en" else theme.title_nl
    return labels


def _when(
    errors: _Errors, key: str, label: str, day_text: str, time_text: str, required: bool = True
) -> datetime | None:
    if not day_text and not time_text:
        if required:
            errors.first(key, _("%(field)s: give a date", field=label))
        return None
    day = parse_date(day_text)
    if day is None:
        errors.first(
            key,
            _(
                "%(field)s: '%(value)s' is not a date; write it as 2027-04-27 or 27-04-2027",
                field=label,
                value=day_text,
            ),
        )
    moment = parse_time(time_text)
    if moment is None:
        errors.first(
            key,
            _(
                "%(field)s: '%(value)s' is not a time; write it as 17:00",
                field=label,
                value=time_text,
            ),
        )
    if day is None or moment is None:
        return None
    return datetime.combine(day, moment, tzinfo=AMSTERDAM)


def check_fields(fields: LaunchFields, taxonomy: Taxonomy, language: str) -> Checked:
    """The form's fields as a RoundSpec, checked as `consult round launch` checks a spec file;
    or every problem found, next to its field. Call with the reader's language set
    (consult.i18n.use_language): the messages are in it."""
    labels = _labels(taxonomy, language)
    errors = _Errors()
    known_themes = [t.slug for t in taxonomy.themes]
    data: dict[str, Any] = {"name": fields.name}
    slug = fields.slug or slug_from(fields.name)
    if slug or fields.slug:
        data["slug"] = slug
    elif fields.name:
        errors.add("slug", _("%(field)s: choose a short name", field=labels["slug"]))

    answer = _when(
        errors, "answer_date", labels["answer_date"], fields.answer_date, fields.answer_time
    )
    closing = _when(
        errors, "input_date", labels["input_date"], fields.input_date, fields.input_time
    )
    if answer is not None:
        data["answer_deadline"] = answer
    if closing is not None:
        data["input_deadline"] = closing

    for name in ("invitees_per_theme", "group_min", "group_max"):
        text = getattr(fields, name)
        number = _whole(text)
        if number is None:
            errors.add(
                name,
                _("%(field)s: '%(value)s' is not a whole number", field=labels[name], value=text),
            )
        else:
            data[name] = number

    unknown_regions = [r for r in fields.regions if r not in taxonomy.region_names]
    if unknown_regions:
        errors.add(
            "regions",
            _(
                "%(field)s: unknown region %(regions)s",
                field=labels["regions"],
                regions=", ".join(unknown_regions),
            ),
        )
    data["regions"] = [r for r in taxonomy.region_names if r in fields.regions]
    data["meeting_url"] = fields.meeting_url
    data["holiday_slots"] = fields.holiday_slots
    data["weekend_slots"] = fields.weekend_slots

    # The spec's themes in the taxonomy's order, and for each of its slots the form row it
    # came from, so a problem of themes[i].slots[j] is shown at that row.
    themes: list[dict[str, Any]] = []
    rows_of_slot: list[list[str]] = []
    unreadable: set[str] = set()
    for slug_of_theme in fields.themes:
        if slug_of_theme not in known_themes:
            errors.add(
                "themes",
                _(
                    "%(field)s: unknown theme %(theme)s",
                    field=labels["themes"],
                    theme=slug_of_theme,
                ),
            )
    for theme in known_themes:
        rows = fields.slots.get(theme, ())
        chosen = theme in fields.themes
        title = labels[f"theme:{theme}"]
        if not chosen:
            if any(not row.empty for row in rows):
                errors.add(
                    "themes",
                    _(
                        "%(theme)s has slots but is not chosen: tick it, or empty its slots",
                        theme=title,
                    ),
                )
            continue
        slots: list[dict[str, Any]] = []
        keys: list[str] = []
        for n, row in enumerate(rows, start=1):
            if row.empty:
                continue
            key = slot_field(theme, n, "date")
            where = _("%(theme)s, slot %(number)s", theme=title, number=n)
            start = _when(errors, key, where, row.date, row.start)
            end_time = parse_time(row.end)
            if end_time is None:
                errors.first(
                    key,
                    _(
                        "%(field)s: '%(value)s' is not an end time; write it as 15:30",
                        field=where,
                        value=row.end,
                    ),
                )
            if start is None or end_time is None:
                unreadable.add(theme)
                continue
            slots.append(
                {"start": start, "end": datetime.combine(start.date(), end_time, tzinfo=AMSTERDAM)}
            )
            keys.append(key)
        themes.append({"slug": theme, "slots": slots})
        rows_of_slot.append(keys)
    data["themes"] = themes

    def place(loc: tuple[Any, ...]) -> tuple[str, str] | None:
        """The form field and its label for pydantic's place of a problem; None: a problem
        already said in other words."""
        if not loc:
            return None
        head = loc[0]
        if head == "themes" and len(loc) >= 3 and loc[2] == "slots":
            t = loc[1]
            theme = themes[t]["slug"]
            title = labels[f"theme:{theme}"]
            if len(loc) >= 4 and isinstance(loc[3], int):
                key = rows_of_slot[t][loc[3]]
                number = key.split("-")[-2]
                return key, _("%(theme)s, slot %(number)s", theme=title, number=number)
            if theme in unreadable:
                return None
            return slot_field(theme, 1, "date"), _("Slots for %(theme)s", theme=title)
        if head == "themes":
            return "themes", labels["themes"]
        if head == "slug" and not fields.slug:
            # Made from the name: an empty name is said once, at the name.
            return ("slug", labels["slug"]) if fields.name else None
        if head in ("answer_deadline", "input_deadline"):
            key = "answer_date" if head == "answer_deadline" else "input_date"
            return key, labels[key]
        if isinstance(head, str) and head in labels:
            return head, labels[head]
        return GENERAL, str(head)

    try:
        spec = RoundSpec.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            if not loc:
                errors.add(_model_field(data), problem_text(err))
                continue
            found = place(loc)
            if found is None:
                continue
            key, label = found
            if err["type"] == "missing" and key in errors.by_field:
                continue
            errors.first(key, f"{label}: {problem_text(err)}")
        return Checked(None, dict(errors.by_field))
    if errors.by_field:
        return Checked(None, dict(errors.by_field))
    calendar = check_calendar(spec)
    for note in calendar.notes:
        if note.refused:
            errors.add(rows_of_slot[note.theme][note.slot], note.text)
    if errors.by_field:
        return Checked(None, dict(errors.by_field))
    return Checked(spec, {}, calendar.warnings)


def _model_field(data: Mapping[str, Any]) -> str:
    """The field a problem of the spec as a whole is about (RoundSpec's own checks say what is
    wrong; this says where the form shows it)."""
    answer, closing = data.get("answer_deadline"), data.get("input_deadline")
    if answer is not None and closing is not None and closing <= answer:
        return "input_date"
    if data.get("group_max", 1) < data.get("group_min", 0):
        return "group_max"
    return GENERAL


def _checked_spec(spec: RoundSpec, key: str) -> Checked:
    calendar = check_calendar(spec)
    if calendar.errors:
        return Checked(None, {key: " ".join(calendar.errors)})
    return Checked(spec, {}, calendar.warnings)


def check_upload(content: bytes, filename: str) -> Checked:
    """An uploaded spec file (TOML, as `consult round launch` reads it), checked by the same
    rules; its problems are shown at the file field."""
    if not content.strip():
        return Checked(None, {UPLOAD: _("The file is empty.")})
    try:
        spec = parse_round_spec(content, filename)
    except RoundSpecError as exc:
        return Checked(None, {UPLOAD: str(exc)})
    return _checked_spec(spec, UPLOAD)


def check_confirmed(serialised: str) -> Checked:
    """The spec carried by the confirmation step, checked again (the calendar may have moved
    on, and nothing posted is taken on trust)."""
    try:
        spec = RoundSpec.model_validate_json(serialised)
    except ValidationError:
        return Checked(None, {GENERAL: _("The form could not be read. Fill it in again.")})
    return _checked_spec(spec, GENERAL)


def serialise(spec: RoundSpec) -> str:
    return spec.model_dump_json()


@dataclass(frozen=True)
class ThemeSummary:
    title: str
    slots: tuple[str, ...]


@dataclass(frozen=True)
class Summary:
    """What the confirmation step shows of a spec, in the reader's language."""

    name: str
    slug: str
    answer_deadline: str
    input_deadline: str
    themes: tuple[ThemeSummary, ...]
    regions: str
    group_sizes: str
    invitees_per_theme: int
    meeting_url: str


def summary(spec: RoundSpec, taxonomy: Taxonomy, language: str) -> Summary:
    titles = {t.slug: (t.title_en if language == "en" else t.title_nl) for t in taxonomy.themes}
    return Summary(
        name=spec.name,
        slug=spec.slug,
        answer_deadline=format_datetime(spec.answer_deadline, language),
        input_deadline=format_datetime(spec.input_deadline, language),
        themes=tuple(
            ThemeSummary(
                titles.get(t.slug, t.slug),
                tuple(format_time_range(s.start, s.end, language) for s in t.slots),
            )
            for t in spec.themes
        ),
        regions=", ".join(spec.regions) if spec.regions else _("every region"),
        group_sizes=_("%(low)s to %(high)s people", low=spec.group_min, high=spec.group_max),
        invitees_per_theme=spec.invitees_per_theme,
        meeting_url=spec.meeting_url,
    )


def theme_choices(taxonomy: Taxonomy, language: str) -> Sequence[tuple[str, str]]:
    """(slug, title) of every theme, for the form's checkboxes."""
    return [(t.slug, t.title_en if language == "en" else t.title_nl) for t in taxonomy.themes]
