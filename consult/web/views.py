"""What the invitee pages show, gathered from the database into plain data for the templates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.contributions.forms import (
    FormField,
    Phase,
    StoredAnswer,
    form_fields,
    input_open,
    load_answers,
    phase_at,
)
from consult.i18n import format_datetime, format_list, format_time_range
from consult.rounds.availability import marked_slot_ids, offered_times
from consult.rounds.seats import Seat, find_seat
from models import Invitation, InvitationStatus, Theme


@dataclass(frozen=True)
class ThemeChoice:
    slug: str
    title: str


@dataclass(frozen=True)
class TimeChoice:
    id: int
    label: str
    checked: bool
    # The themes this time is for ("Innovatie en Anders besturen"), when it is not for all
    # of the invitee's themes: a ticked time can only seat them in one of these.
    themes: str


@dataclass(frozen=True)
class SessionInfo:
    theme_title: str
    when: str
    meeting_url: str
    active: bool


@dataclass(frozen=True)
class InvitationView:
    person_name: str
    round_name: str
    status: str
    answer_open: bool
    # After the answer deadline someone taking part can still withdraw, until the input deadline.
    withdraw_open: bool
    answer_deadline: str
    # In the invitee's order of preference; more than one: they rank them.
    themes: list[ThemeChoice]
    # The theme chosen at each place of the ranking form: the stored order, or what was sent.
    ranked: list[str]
    times: list[TimeChoice]
    session: SessionInfo | None

    @property
    def any_marked(self) -> bool:
        return any(time.checked for time in self.times)


def _themes(session: Session, invitation: Invitation, lang: str) -> list[ThemeChoice]:
    by_slug = {
        t.slug: t
        for t in session.scalars(select(Theme).where(Theme.slug.in_(invitation.theme_preferences)))
    }
    return [
        ThemeChoice(slug, by_slug[slug].title(lang))
        for slug in invitation.theme_preferences
        if slug in by_slug
    ]


def _session_info(seat: Seat | None, lang: str) -> SessionInfo | None:
    if seat is None:
        return None
    cs = seat.session
    return SessionInfo(
        theme_title=cs.theme.title(lang),
        when=format_time_range(cs.start, cs.end, lang),
        meeting_url=cs.meeting_url,
        active=seat.active,
    )


def invitation_view(
    session: Session,
    invitation: Invitation,
    now: datetime,
    slot_ids: set[int] | None = None,
    ranked: Sequence[str] | None = None,
) -> InvitationView:
    """The invitation page. `slot_ids` and `ranked` override the stored times and order (to
    show what a refused form sent)."""
    lang = invitation.person.language
    rnd = invitation.round
    marked = marked_slot_ids(session, invitation.id) if slot_ids is None else slot_ids
    themes = _themes(session, invitation, lang)
    titles = {t.slug: t.title for t in themes}
    times = [
        TimeChoice(
            time.id,
            format_time_range(time.start, time.end, lang),
            # Stored marks from before times were asked once may tick only one of its slots.
            any(slot_id in marked for slot_id in time.slot_ids),
            ""
            if set(time.theme_slugs) >= set(titles)
            else format_list([titles[slug] for slug in time.theme_slugs if slug in titles], lang),
        )
        for time in offered_times(session, invitation)
    ]
    return InvitationView(
        person_name=invitation.person.name,
        round_name=rnd.name,
        status=invitation.status.value,
        answer_open=now <= rnd.answer_deadline and invitation.status != InvitationStatus.DELEGATED,
        withdraw_open=rnd.answer_deadline < now < rnd.input_deadline
        and invitation.status == InvitationStatus.ACCEPTED,
        answer_deadline=format_datetime(rnd.answer_deadline, lang),
        themes=themes,
        ranked=list(ranked) if ranked is not None else [t.slug for t in themes],
        times=times,
        session=_session_info(find_seat(session, invitation), lang),
    )


@dataclass(frozen=True)
class InputField:
    key: str
    label: str
    number: int | None
    text: str
    permission: str
    state: str | None  # "draft", "submitted" or None (nothing stored)


@dataclass(frozen=True)
class InputView:
    person_name: str
    round_name: str
    scheduled: bool
    theme_title: str
    when: str
    phase: str
    open: bool
    input_deadline: str
    fields: list[InputField]
    # Before-session answers, shown read-only on the after-session form.
    earlier: list[InputField]
    any_submitted: bool


def _input_fields(
    fields: list[FormField],
    stored: Mapping[str, StoredAnswer],
    labels: Mapping[str, str],
    typed: Mapping[str, str] | None,
) -> list[InputField]:
    result = []
    for n, f in enumerate(fields, start=1):
        kept = stored.get(f.key)
        text = kept.text if kept else ""
        permission = kept.permission.value if kept else "role_only"
        if typed is not None:  # a refused form shows what was typed, not what is stored
            text = typed.get(f"text-{f.key}", text)
            permission = typed.get(f"permission-{f.key}", permission)
        state = None if kept is None else ("draft" if kept.draft else "submitted")
        label = f.question if f.question is not None else labels[f.key]
        result.append(InputField(f.key, label, n if f.question else None, text, permission, state))
    return result


def input_view(
    session: Session,
    invitation: Invitation,
    now: datetime,
    labels: Mapping[str, str],
    typed: Mapping[str, str] | None = None,
) -> InputView:
    """The input page; `labels` name the lessons/proposals fields in the reader's language."""
    lang = invitation.person.language
    rnd = invitation.round
    seat = find_seat(session, invitation)
    common = {
        "person_name": invitation.person.name,
        "round_name": rnd.name,
        "input_deadline": format_datetime(rnd.input_deadline, lang),
    }
    if seat is None or not seat.active:
        return InputView(
            scheduled=False,
            theme_title="",
            when="",
            phase="",
            open=False,
            fields=[],
            earlier=[],
            any_submitted=False,
            **common,
        )
    cs = seat.session
    phase = phase_at(cs, now)
    fields = form_fields(cs.theme, phase, lang)
    stored = load_answers(session, invitation, cs, fields)
    earlier: list[InputField] = []
    if phase is Phase.AFTER:
        before = form_fields(cs.theme, Phase.BEFORE, lang)
        kept = load_answers(session, invitation, cs, before)
        earlier = [f for f in _input_fields(before, kept, labels, None) if f.state]
    return InputView(
        scheduled=True,
        theme_title=cs.theme.title(lang),
        when=format_time_range(cs.start, cs.end, lang),
        phase=phase.value,
        open=input_open(cs, now),
        fields=_input_fields(fields, stored, labels, typed),
        earlier=earlier,
        any_submitted=any(not a.draft for a in stored.values()),
        **common,
    )
