"""The round spec: what the secretariat writes in TOML to launch a round."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from consult.i18n import N_, current_language, weekday_name
from consult.i18n import gettext as _

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def _as_amsterdam(value: datetime) -> datetime:
    # A TOML local datetime has no offset; the secretariat means Dutch time.
    return value.replace(tzinfo=AMSTERDAM) if value.tzinfo is None else value


# What `consult serve` does for a round by itself: the spec's `[automation]` table. Every
# switch defaults to on, so a round launched without the table runs through on its own.
class AutomationSpec(BaseModel):
    # A misspelt switch must not silently leave the default in force.
    model_config = ConfigDict(extra="forbid")

    # False: the service leaves this round alone; the secretariat runs every step by command.
    enabled: bool = True
    # Send the invitations as soon as the round is launched (and any that are still missing).
    send_invitations: bool = True
    # Remind invitees who have not answered at the spec's reminder_days_before.
    send_reminders: bool = True
    # When the answer deadline passes: place accepted invitees, send calendar invitations.
    schedule_after_answer_deadline: bool = True
    # An answer that changes after scheduling places (or re-places) people and updates calendars.
    reschedule_on_change: bool = True
    # Ask the attendees of a session for their lessons learned, this many hours after it ended.
    request_lessons: bool = True
    lessons_request_hours_after: float = Field(default=1.0, ge=0)
    # When the input deadline passes: group the contributions into building blocks.
    synthesise_after_input_deadline: bool = True
    # When staff have approved every block of the round: write the report.
    report_when_approved: bool = True
    report_language: Literal["nl", "en"] = "nl"


class SlotSpec(BaseModel):
    start: datetime
    end: datetime

    _aware = field_validator("start", "end")(_as_amsterdam)

    @model_validator(mode="after")
    def _ordered(self) -> SlotSpec:
        if self.end <= self.start:
            raise ValueError(_("the end must be after the start"))
        return self


class ThemeSpec(BaseModel):
    slug: str
    slots: list[SlotSpec] = Field(min_length=1)
    # Per-theme overrides of the round's scheduling rules; None: use the round's value.
    group_min: int | None = Field(default=None, ge=1)
    group_max: int | None = Field(default=None, ge=1)
    parallel_groups: int | None = Field(default=None, ge=1)
    min_sectors: int | None = Field(default=None, ge=0)
    max_per_sector: int | None = Field(default=None, ge=1)
    min_regions: int | None = Field(default=None, ge=0)


class RoundSpec(BaseModel):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,98}$")
    name: str = Field(min_length=1, max_length=200)
    answer_deadline: datetime
    input_deadline: datetime
    meeting_url: str = Field(
        description="Template with {round}, {theme}, {slot} and {group}",
        default="https://meet.example.org/{round}/{theme}-{slot}-{group}",
    )
    invitees_per_theme: int = Field(default=40, ge=1)
    group_min: int = Field(default=4, ge=1)
    group_max: int = Field(default=8, ge=1)
    regions: list[str] = Field(default_factory=list, description="Empty: every region")
    # Scheduling rules (consult.scheduling.optimiser); every theme may override them. Defaults
    # keep older specs valid: groups mix at least two sectors, no per-sector cap, any region.
    parallel_groups: int = Field(default=8, ge=1, description="Groups per slot at most")
    min_sectors: int = Field(default=2, ge=0, description="Different sectors per group")
    max_per_sector: int | None = Field(default=None, ge=1, description="None: no cap")
    min_regions: int = Field(default=1, ge=0, description="Different regions per group")
    must_place: list[str] = Field(
        default_factory=list, description="Emails of moderators and committee members"
    )
    # Reminders to invitees who have not answered, this many days before the answer deadline.
    reminder_days_before: list[float] = Field(default_factory=lambda: [7.0, 2.0])
    # Reminders to people taking part who have not handed in input, this many days before the
    # input deadline. max_reminders holds for each kind.
    input_reminder_days_before: list[float] = Field(default_factory=lambda: [7.0, 2.0])
    max_reminders: int = Field(default=2, ge=0)
    themes: list[ThemeSpec] = Field(min_length=1)
    # Candidate slots on a Dutch public holiday or in a weekend: refused at launch, launched
    # with a warning, or allowed without a word. Most invitees do not work then.
    holiday_slots: Literal["refuse", "warn", "allow"] = "refuse"
    weekend_slots: Literal["refuse", "warn", "allow"] = "warn"
    # What `consult serve` does for this round by itself (AutomationSpec above).
    automation: AutomationSpec = Field(default_factory=AutomationSpec)
    # Months the round's personal data is kept after its report; None: the configuration's
    # [privacy] retention_months.
    retention_months: int | None = Field(default=None, ge=1, le=240)
    # Each mailing (invitations, reminders, calendar invitations, requests for input) waits in
    # the outbox until the secretariat approves it; None: the configuration's
    # [mail] require_approval (on unless switched off).
    require_approval: bool | None = None

    _aware = field_validator("answer_deadline", "input_deadline")(_as_amsterdam)

    @field_validator("meeting_url")
    @classmethod
    def _placeholders(cls, value: str) -> str:
        # Filled in when sessions are placed, long after launch: a misspelt placeholder must
        # stop the launch, not the scheduling.
        try:
            value.format(round="r", theme="t", slot=1, group=1)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(
                _(
                    "meeting_url: use only the placeholders {round}, {theme}, {slot} and "
                    "{group} (problem: %(problem)s)",
                    problem=exc,
                )
            ) from exc
        return value

    @model_validator(mode="after")
    def _consistent(self) -> RoundSpec:
        if self.input_deadline <= self.answer_deadline:
            raise ValueError(
                _("input_deadline (input deadline) must be after answer_deadline (answer deadline)")
            )
        if self.group_max < self.group_min:
            raise ValueError(_("group_max must be at least group_min"))
        if any(d <= 0 for d in self.reminder_days_before):
            raise ValueError(_("reminder_days_before: only positive numbers of days"))
        if any(d <= 0 for d in self.input_reminder_days_before):
            raise ValueError(_("input_reminder_days_before: only positive numbers of days"))
        for theme in self.themes:
            low = theme.group_min or self.group_min
            high = theme.group_max or self.group_max
            if high < low:
                raise ValueError(
                    _("theme %(theme)s: group_max must be at least group_min", theme=theme.slug)
                )
        slugs = [t.slug for t in self.themes]
        if len(set(slugs)) != len(slugs):
            raise ValueError(_("a theme is listed twice"))
        return self


@dataclass(frozen=True)
class SlotNote:
    """One error or warning of a CalendarCheck, with the slot it is about (indexes into
    spec.themes and that theme's slots), for a form that shows it next to the slot."""

    theme: int
    slot: int
    text: str
    refused: bool


@dataclass(frozen=True)
class CalendarCheck:
    """What launch thinks of the candidate slots' dates: errors stop it, warnings are shown."""

    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    notes: tuple[SlotNote, ...] = ()


def holiday_name(day: date, language: str | None = None) -> str | None:
    """The Dutch public holiday on this day in the reader's language ("Eerste Kerstdag",
    "Christmas Day"), or None."""
    # Imported here: the calendar is needed at launch, not by every reader of a round's spec.
    import holidays

    wanted = language or current_language()
    names = "en_US" if wanted == "en" else "nl"
    found = holidays.country_holidays("NL", years=day.year, language=names).get(day)
    if found is None:
        return None
    return " ".join(word[:1].upper() + word[1:] for word in str(found).split())


def check_calendar(spec: RoundSpec) -> CalendarCheck:
    """Every candidate slot must lie after the answer deadline (people need to know who comes)
    and end before the input deadline (input is asked about the sessions); holidays and
    weekends are refused or warned about as the spec says."""
    notes: list[SlotNote] = []
    answer = f"{spec.answer_deadline.astimezone(AMSTERDAM):%Y-%m-%d %H:%M}"
    input_deadline = f"{spec.input_deadline.astimezone(AMSTERDAM):%Y-%m-%d %H:%M}"
    for t, theme in enumerate(spec.themes):
        for n, slot in enumerate(theme.slots):
            start = slot.start.astimezone(AMSTERDAM)

            def note(text: str, refused: bool, t: int = t, n: int = n) -> None:
                notes.append(SlotNote(t, n, text, refused))

            when = _(
                "theme %(theme)s, slot %(start)s",
                theme=theme.slug,
                start=start.strftime("%Y-%m-%d %H:%M"),
            )
            if slot.start <= spec.answer_deadline:
                note(
                    _(
                        "%(when)s: is not after the answer deadline (%(deadline)s); choose a time "
                        "after the deadline or bring the deadline forward",
                        when=when,
                        deadline=answer,
                    ),
                    True,
                )
            if slot.end > spec.input_deadline:
                note(
                    _(
                        "%(when)s: ends after the input deadline (%(deadline)s); choose an "
                        "earlier time or move the input deadline",
                        when=when,
                        deadline=input_deadline,
                    ),
                    True,
                )
            holiday = holiday_name(start.date())
            if holiday and spec.holiday_slots != "allow":
                text = _(
                    "%(when)s: falls on a public holiday (%(holiday)s)", when=when, holiday=holiday
                )
                if spec.holiday_slots == "refuse":
                    note(
                        _(
                            '%(problem)s; choose a working day or set holiday_slots = "warn"',
                            problem=text,
                        ),
                        True,
                    )
                else:
                    note(text, False)
            if start.weekday() >= 5 and spec.weekend_slots != "allow":
                text = _(
                    "%(when)s: falls in the weekend (%(day)s)", when=when, day=weekday_name(start)
                )
                if spec.weekend_slots == "refuse":
                    note(
                        _(
                            '%(problem)s; choose a working day or set weekend_slots = "warn"',
                            problem=text,
                        ),
                        True,
                    )
                else:
                    note(text, False)
    return CalendarCheck(
        tuple(n.text for n in notes if n.refused),
        tuple(n.text for n in notes if not n.refused),
        tuple(notes),
    )


class RoundSpecError(ValueError):
    """A spec file that cannot be used; the message names the file and every bad field."""


def load_round_spec(path: Path) -> RoundSpec:
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise RoundSpecError(
            _("%(path)s: cannot read the file (%(reason)s)", path=path, reason=exc.strerror)
        ) from exc
    return parse_round_spec(text, str(path))


def parse_round_spec(content: bytes, source: str) -> RoundSpec:
    """A spec from the bytes of a TOML file (a file on disk, or one uploaded in the
    workplace); `source` names it in the messages."""
    try:
        data = tomllib.loads(content.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise RoundSpecError(
            _("%(path)s: not valid TOML (%(reason)s)", path=source, reason=exc.reason)
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise RoundSpecError(
            _("%(path)s: not valid TOML (%(reason)s)", path=source, reason=exc)
        ) from exc
    try:
        return RoundSpec.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(_problem(data, err) for err in exc.errors())
        raise RoundSpecError(f"{source}: {problems}") from exc


def stored_spec(data: Mapping[str, Any]) -> RoundSpec:
    """The spec a round was launched with, as stored with it (`Round.spec`): every reader goes
    through this, so the defaults live in RoundSpec alone."""
    return RoundSpec.model_validate(data)


# Pydantic's own messages are English and technical; these are the ones a hand-written TOML file
# meets, in the reader's language.
_PROBLEMS = {
    "missing": N_("is missing"),
    "extra_forbidden": N_("unknown field"),
    "datetime_type": N_("expects a date with a time, such as 2027-01-15T17:00:00"),
    "datetime_parsing": N_("expects a date with a time, such as 2027-01-15T17:00:00"),
    "datetime_from_date_parsing": N_("expects a date with a time, such as 2027-01-15T17:00:00"),
    "int_type": N_("expects a whole number"),
    "int_parsing": N_("expects a whole number"),
    "float_type": N_("expects a number"),
    "float_parsing": N_("expects a number"),
    "bool_type": N_("expects true or false"),
    "bool_parsing": N_("expects true or false"),
    "string_type": N_("expects text in quotes"),
    "list_type": N_("expects a list, such as [ ... ]"),
    "too_short": N_("must not be empty"),
    "string_too_short": N_("must not be empty"),
    "string_too_long": N_("is too long"),
    "string_pattern_mismatch": N_("only lower-case letters, digits and hyphens"),
    "greater_than_equal": N_("must be at least %(ge)s"),
    "literal_error": N_("choose from %(expected)s"),
}


def problem_text(err: Any) -> str:
    """What is wrong in one of pydantic's errors (`ValidationError.errors()`), in the reader's
    language, without where: for a form that shows it next to its field."""
    if err["type"] == "value_error":
        # Our own validators speak the reader's language already; pydantic prefixes them.
        return str(err["msg"]).removeprefix("Value error, ")
    if err["type"] in _PROBLEMS:
        return _(_PROBLEMS[err["type"]], **(err.get("ctx") or {}))
    return str(err["msg"])


def _problem(data: Mapping[str, Any], err: Any) -> str:
    """One validation problem in the reader's language, at a place the secretariat recognises
    in its file."""
    message = problem_text(err)
    where = _place(data, tuple(err["loc"]))
    return f"{where}: {message}" if where else message


def _place(data: Mapping[str, Any], loc: tuple[Any, ...]) -> str:
    """`themes.1.slots.0.end` as `thema innovatie, tijdslot 1, end` (in Dutch)."""
    parts: list[str] = []
    themes = data.get("themes") if isinstance(data, Mapping) else None
    i = 0
    while i < len(loc):
        key = loc[i]
        index = loc[i + 1] if i + 1 < len(loc) and isinstance(loc[i + 1], int) else None
        if key == "themes" and index is not None:
            theme = themes[index] if isinstance(themes, list) and index < len(themes) else None
            slug = theme.get("slug") if isinstance(theme, Mapping) else None
            parts.append(_("theme %(theme)s", theme=slug or index + 1))
            i += 2
        elif key == "slots" and index is not None:
            parts.append(_("slot %(number)s", number=index + 1))
            i += 2
        else:
            parts.append(str(key) if index is None else f"{key} {index + 1}")
            i += 1 if index is None else 2
    return ", ".join(parts)
