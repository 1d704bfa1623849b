"""The people of a round as the workplace shows them: a table of the invitees, filtered by
status, theme, region and sector, one page at a time; and one invitee in full (their answers,
availability, seats, contributions and every mail sent to them). Labels are in the current
language; what the secretariat may do with an invitee is decided here too, so the page only
offers what the actions would accept."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session, aliased, load_only

from consult.app import audit
from consult.app.outbox import LISTED, state_label
from consult.app.review import kind_label as contribution_kind_label
from consult.app.status import kind_label
from consult.i18n import N_, current_language, pgettext
from consult.i18n import gettext as _
from consult.rounds.answers import lock_invitation
from consult.spec import stored_spec
from consult.taxonomy import Taxonomy
from models import (
    Account,
    AttendeeStatus,
    Availability,
    CandidateSlot,
    ConsultationSession,
    Contribution,
    Invitation,
    InvitationStatus,
    Organisation,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    Person,
    Region,
    Round,
    RoundStatus,
    SessionAttendee,
    SessionStatus,
    SuppressedAddress,
    Theme,
)

PER_PAGE: Final = 50
# The status filter's extra choice: the address bounced, whatever the answer.
BOUNCED: Final = "bounced"
# Mail still on its way: a second one of the same kind would cross it.
WAITING: Final = (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.SUPPRESSED)


def invitation_status_label(status: InvitationStatus) -> str:
    """An invitation's status as the secretariat reads it, in the current language."""
    labels = {
        InvitationStatus.PENDING: pgettext("invitation status", "no answer yet"),
        InvitationStatus.ACCEPTED: pgettext("invitation status", "taking part"),
        InvitationStatus.DECLINED: pgettext("invitation status", "not taking part"),
        InvitationStatus.DELEGATED: pgettext("invitation status", "passed on to a colleague"),
        InvitationStatus.WITHDRAWN: pgettext("invitation status", "withdrawn"),
    }
    return labels[status]


def status_choices() -> list[tuple[str, str]]:
    """The status filter's choices (value, label)."""
    return [(s.value, invitation_status_label(s)) for s in InvitationStatus] + [
        (BOUNCED, pgettext("invitation status", "address bounced"))
    ]


def sector_names(taxonomy: Taxonomy) -> dict[str, str]:
    english = current_language() == "en"
    return {s.code: s.name_en if english else s.name_nl for s in taxonomy.sectors}


def theme_titles(session: Session) -> dict[str, str]:
    english = current_language() == "en"
    return {
        slug: title_en if english else title_nl
        for slug, title_nl, title_en in session.execute(
            select(Theme.slug, Theme.title_nl, Theme.title_en)
        )
    }


@dataclass(frozen=True)
class PeopleFilter:
    """What the table is narrowed to; "" for no narrowing."""

    status: str = ""
    theme: str = ""
    region: str = ""
    sector: str = ""
    page: int = 1


@dataclass(frozen=True)
class PersonRow:
    invitation_id: int
    name: str
    email: str
    organisation: str
    sector: str
    region: str
    theme: str
    status: InvitationStatus
    status_label: str
    bounced: bool


@dataclass(frozen=True)
class PeopleList:
    round_id: int
    round_name: str
    chosen: PeopleFilter
    rows: tuple[PersonRow, ...]
    total: int
    pages: int
    statuses: list[tuple[str, str]]
    themes: list[tuple[str, str]]
    regions: list[str]
    sectors: list[tuple[str, str]]


def _valid(
    chosen: PeopleFilter, statuses: set[str], themes: set[str], regions: set[str], sectors: set[str]
) -> PeopleFilter:
    """`chosen` without values that are not choices (an edited address): they would only
    show an empty table."""
    return PeopleFilter(
        chosen.status if chosen.status in statuses else "",
        chosen.theme if chosen.theme in themes else "",
        chosen.region if chosen.region in regions else "",
        chosen.sector if chosen.sector in sectors else "",
        max(1, chosen.page),
    )


def _conditions(chosen: PeopleFilter) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if chosen.status == BOUNCED:
        found.append(SuppressedAddress.id.is_not(None))
    elif chosen.status:
        found.append(Invitation.status == InvitationStatus(chosen.status))
    if chosen.theme:
        found.append(Invitation.theme_preferences[0].as_string() == chosen.theme)
    if chosen.region:
        found.append(Region.name == chosen.region)
    if chosen.sector:
        found.append(Organisation.sector == chosen.sector)
    return found


def _people_query(round_id: int, chosen: PeopleFilter) -> Select[tuple[object, ...]]:
    return (
        select(
            Invitation.id,
            Invitation.status,
            Invitation.theme_preferences[0].as_string(),
            Person.name,
            Person.email,
            Organisation.name,
            Organisation.sector,
            Region.name,
            SuppressedAddress.id.is_not(None),
            # The number of matching rows, on every row: the page and its count in one query.
            func.count().over(),
        )
        .select_from(Invitation)
        .join(Person, Person.id == Invitation.person_id)
        .join(Organisation, Organisation.id == Person.organisation_id)
        .join(Region, Region.id == Organisation.region_id)
        .outerjoin(SuppressedAddress, SuppressedAddress.email == func.lower(Person.email))
        .where(Invitation.round_id == round_id, *_conditions(chosen))
    )


def people_in_round(
    session: Session,
    taxonomy: Taxonomy,
    round_id: int,
    chosen: PeopleFilter,
    per_page: int = PER_PAGE,
) -> PeopleList | None:
    """One page of the round's invitees (by name) that match `chosen`; None when there is no
    such round."""
    rnd = session.get(Round, round_id)
    if rnd is None:
        return None
    titles = theme_titles(session)
    sectors = sector_names(taxonomy)
    themes = [(t.slug, titles.get(t.slug, t.slug)) for t in stored_spec(rnd.spec).themes]
    statuses = status_choices()
    chosen = _valid(
        chosen,
        {value for value, _ in statuses},
        {slug for slug, _ in themes},
        set(taxonomy.region_names),
        set(sectors),
    )
    query = _people_query(round_id, chosen).order_by(Person.name, Invitation.id)
    found = session.execute(query.limit(per_page).offset((chosen.page - 1) * per_page)).all()
    if found:
        total = int(found[0][-1])
    else:
        # Past the last page, the window function has no row to say the count on.
        total = (
            session.scalar(
                select(func.count()).select_from(_people_query(round_id, chosen).subquery())
            )
            or 0
        )
    rows = tuple(
        PersonRow(
            invitation_id=invitation_id,
            name=name,
            email=email,
            organisation=organisation,
            sector=sectors.get(sector, sector),
            region=region,
            theme=titles.get(theme or "", theme or ""),
            status=status,
            status_label=invitation_status_label(status),
            bounced=bool(bounced),
        )
        for (
            invitation_id,
            status,
            theme,
            name,
            email,
            organisation,
            sector,
            region,
            bounced,
            _,
        ) in found
    )
    return PeopleList(
        round_id=rnd.id,
        round_name=rnd.name,
        chosen=chosen,
        rows=rows,
        total=total,
        pages=max(1, -(-total // per_page)),
        statuses=statuses,
        themes=themes,
        regions=list(taxonomy.region_names),
        sectors=sorted(sectors.items(), key=lambda item: item[1]),
    )


class ActionRefused(ValueError):
    """The action cannot be done for this invitee now; the message says why, in the current
    language."""


class Done(StrEnum):
    """What an action that sends mail did."""

    QUEUED = "queued"
    # This form was handled before (a double click, a page sent twice): nothing added.
    REPEATED = "repeated"
    # Mail of this kind is still on its way to them: a second one would cross it.
    WAITING = "waiting"


def locked_invitation(session: Session, round_id: int, invitation_id: int) -> Invitation:
    """The invitation, locked until the transaction ends (two actions on one invitee take
    turns, as the invitee's own answers do). LookupError when the round has no such one."""
    found = session.scalar(
        select(Invitation.id).where(Invitation.id == invitation_id, Invitation.round_id == round_id)
    )
    if found is None:
        raise LookupError(invitation_id)
    return lock_invitation(session, found)


def record(
    session: Session, invitation: Invitation, action: audit.Action, **details: str | int
) -> None:
    """The secretariat's action on this invitee, in the audit log (as the signed-in account)."""
    audit.record(
        session,
        action,
        round_id=invitation.round_id,
        person_id=invitation.person_id,
        subject=("invitation", invitation.id),
        details=details,
    )


class Remind(StrEnum):
    """Which reminder "remind now" sends."""

    ANSWER = "answer"
    INPUT = "input"


@dataclass(frozen=True)
class Actions:
    """What the secretariat can do for this invitee now; each action checks again."""

    # Why the invitation cannot go again, or why no reminder fits (current language); None
    # when the action is offered.
    not_again: str | None
    no_reminder: str | None
    # The reminder "remind now" sends, when one fits.
    remind: Remind | None
    correct_address: bool
    withdraw: bool

    @property
    def send_again(self) -> bool:
        return self.not_again is None


def mail_counts(session: Session, invitation: Invitation) -> dict[OutboxKind, int]:
    """How many messages of each kind the outbox holds for this invitation: the actions name
    the mail they add by these numbers, so a form sent twice adds it once."""
    return {
        kind: n
        for kind, n in session.execute(
            select(OutboxMessage.kind, func.count(OutboxMessage.id))
            .where(OutboxMessage.invitation_id == invitation.id)
            .group_by(OutboxMessage.kind)
        )
    }


def waiting_kinds(session: Session, invitation: Invitation) -> set[OutboxKind]:
    """Kinds of mail for this invitation still on its way (or held for a blocked address)."""
    return set(
        session.scalars(
            select(OutboxMessage.kind).where(
                OutboxMessage.invitation_id == invitation.id, OutboxMessage.status.in_(WAITING)
            )
        )
    )


def handed_in(session: Session, invitation: Invitation) -> bool:
    return (
        session.scalar(
            select(Contribution.id).where(
                Contribution.round_id == invitation.round_id,
                Contribution.person_id == invitation.person_id,
                Contribution.draft.is_(False),
            )
        )
        is not None
    )


def remind_kind(invitation: Invitation, now: datetime, has_input: bool) -> Remind | None:
    """The reminder that fits now: to answer (no answer yet, before the answer deadline) or
    to hand in input (taking part, none handed in yet, before the input deadline)."""
    rnd = invitation.round
    if invitation.status == InvitationStatus.PENDING and now < rnd.answer_deadline:
        return Remind.ANSWER
    if (
        invitation.status == InvitationStatus.ACCEPTED
        and not has_input
        and now < rnd.input_deadline
    ):
        return Remind.INPUT
    return None


def blocked(session: Session, invitation: Invitation) -> bool:
    """Whether the invitee's address is on the list of addresses mail is held back from."""
    address = invitation.person.email.lower()
    found = session.scalar(select(SuppressedAddress.id).where(SuppressedAddress.email == address))
    return found is not None


BLOCKED = N_(
    "The address is blocked: mail to it would only be held back. Correct the address first; "
    "the mail that did not arrive then goes to the new one."
)


def why_not_again(
    invitation: Invitation, now: datetime, invited: bool, address_blocked: bool
) -> str | None:
    """Why the invitation email cannot go again, in the current language; None when it can:
    it went once (the round's own mailing sends the first), the invitee has it still (not
    passed on, not withdrawn), may still answer, and can be reached."""
    if invitation.round.status == RoundStatus.CLOSED:
        return _("The round is closed.")
    if invitation.status == InvitationStatus.WITHDRAWN:
        return _("The invitation is withdrawn.")
    if invitation.status == InvitationStatus.DELEGATED:
        return _("The invitation was passed on to a colleague.")
    if not invited:
        return _("The invitation has not been sent yet; it goes with the round's mailing.")
    if now >= invitation.round.answer_deadline:
        return _("The time to answer has passed.")
    if address_blocked:
        return _(BLOCKED)
    return None


def invitation_sent(session: Session, invitation: Invitation) -> bool:
    """Whether an invitation email has left for this invitation (one queued may still wait
    for the round's mailing to be approved)."""
    found = session.scalar(
        select(OutboxMessage.id).where(
            OutboxMessage.invitation_id == invitation.id,
            OutboxMessage.kind == OutboxKind.INVITATION,
            OutboxMessage.status == OutboxStatus.SENT,
        )
    )
    return found is not None


def why_no_reminder(
    invitation: Invitation,
    now: datetime,
    has_input: bool,
    address_blocked: bool,
    invitation_left: bool,
) -> str | None:
    """Why no reminder fits now, in the current language; None when one does. A reminder to
    answer never overtakes the invitation itself."""
    if invitation.round.status == RoundStatus.CLOSED:
        return _("The round is closed.")
    if invitation.status == InvitationStatus.WITHDRAWN:
        return _("The invitation is withdrawn.")
    if address_blocked:
        return _(BLOCKED)
    if invitation.status == InvitationStatus.PENDING and not invitation_left:
        return _("The invitation has not been sent yet; it goes with the round's mailing.")
    if remind_kind(invitation, now, has_input) is None:
        return _(
            "No reminder fits now: only someone who has not answered yet (before the answer "
            "deadline), or who takes part and has handed in no input yet (before the input "
            "deadline), gets one."
        )
    return None


def actions(
    session: Session, invitation: Invitation, now: datetime, counts: Mapping[OutboxKind, int]
) -> Actions:
    invited = counts.get(OutboxKind.INVITATION, 0) > 0
    unreachable = blocked(session, invitation)
    has_input = handed_in(session, invitation)
    no_reminder = why_no_reminder(
        invitation, now, has_input, unreachable, invitation_sent(session, invitation)
    )
    changeable = (
        invitation.round.status != RoundStatus.CLOSED
        and invitation.status != InvitationStatus.WITHDRAWN
    )
    return Actions(
        not_again=why_not_again(invitation, now, invited, unreachable),
        no_reminder=no_reminder,
        remind=remind_kind(invitation, now, has_input) if no_reminder is None else None,
        correct_address=changeable,
        withdraw=changeable,
    )


@dataclass(frozen=True)
class Slot:
    theme: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class SeatLine:
    theme: str
    start: datetime
    end: datetime
    group: int
    # False when the session was cancelled or the invitee taken out of it.
    active: bool
    # The session, for a link to its notes.
    session_id: int = 0


@dataclass(frozen=True)
class ContributionLine:
    kind: str
    theme: str
    at: datetime
    draft: bool
    words: int


@dataclass(frozen=True)
class MailLine:
    kind: str
    to: str
    subject: str
    queued_at: datetime
    sent_at: datetime | None
    state: OutboxStatus
    state_label: str
    attempts: int
    # The mail server's last reply (a refusal or a delay); "" when there was none.
    reply: str


@dataclass(frozen=True)
class Colleague:
    invitation_id: int
    name: str
    organisation: str
    status: str


@dataclass(frozen=True)
class Blocked:
    reply: str
    since: datetime


@dataclass(frozen=True)
class PersonDetail:
    invitation_id: int
    round_id: int
    round_name: str
    name: str
    email: str
    role: str
    organisation: str
    sector: str
    region: str
    language: str
    status: InvitationStatus
    status_label: str
    invited_at: datetime
    answered_at: datetime | None
    withdrawn_at: datetime | None
    withdrawn_by: str | None
    # Theme titles, first choice first.
    ranking: tuple[str, ...]
    availability: tuple[Slot, ...]
    seats: tuple[SeatLine, ...]
    contributions: tuple[ContributionLine, ...]
    mails: tuple[MailLine, ...]
    passed_on_by: Colleague | None
    passed_on_to: tuple[Colleague, ...]
    blocked: Blocked | None
    actions: Actions
    # How many invitation emails and reminders (of the kind "remind now" sends) there are:
    # the forms carry them, so sending a form twice adds one email, not two.
    invitations_sent: int
    reminders_sent: int


def _colleague(invitation: Invitation) -> Colleague:
    person = invitation.person
    return Colleague(
        invitation.id,
        person.name,
        person.organisation.name,
        invitation_status_label(invitation.status),
    )


def reminder_count(counts: Mapping[OutboxKind, int], kind: Remind | None) -> int:
    if kind is Remind.INPUT:
        return counts.get(OutboxKind.INPUT_REQUEST, 0)
    return counts.get(OutboxKind.REMINDER, 0)


def person_in_round(
    session: Session, taxonomy: Taxonomy, round_id: int, invitation_id: int, now: datetime
) -> PersonDetail | None:
    """One invitee of the round in full; None when the round has no such invitation."""
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or invitation.round_id != round_id:
        return None
    person, rnd = invitation.person, invitation.round
    titles = theme_titles(session)
    sectors = sector_names(taxonomy)
    slots = session.execute(
        select(Theme.slug, CandidateSlot.start, CandidateSlot.end)
        .select_from(Availability)
        .join(CandidateSlot, CandidateSlot.id == Availability.slot_id)
        .join(Theme, Theme.id == CandidateSlot.theme_id)
        .where(Availability.invitation_id == invitation.id)
        .order_by(CandidateSlot.start)
    )
    seats = session.execute(
        select(
            Theme.slug,
            ConsultationSession.start,
            ConsultationSession.end,
            ConsultationSession.group_number,
            ConsultationSession.status,
            SessionAttendee.status,
            ConsultationSession.id,
        )
        .select_from(SessionAttendee)
        .join(ConsultationSession, ConsultationSession.id == SessionAttendee.session_id)
        .join(Theme, Theme.id == ConsultationSession.theme_id)
        .where(ConsultationSession.round_id == rnd.id, SessionAttendee.person_id == person.id)
        .order_by(ConsultationSession.start)
    )
    contributions = session.execute(
        select(
            Theme.slug,
            Contribution.kind,
            Contribution.submitted_at,
            Contribution.draft,
            Contribution.text,
        )
        .select_from(Contribution)
        .join(Theme, Theme.id == Contribution.theme_id)
        .where(Contribution.round_id == rnd.id, Contribution.person_id == person.id)
        .order_by(Contribution.submitted_at, Contribution.id)
    )
    mails = session.scalars(
        select(OutboxMessage)
        .options(load_only(*LISTED))
        .where(OutboxMessage.round_id == rnd.id, OutboxMessage.person_id == person.id)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    blocked = session.scalar(
        select(SuppressedAddress).where(SuppressedAddress.email == person.email.lower())
    )
    delegate = aliased(Invitation)
    passed_on_to = session.scalars(
        select(delegate).where(delegate.delegated_from_id == invitation.id).order_by(delegate.id)
    )
    withdrawn_by = (
        session.scalar(select(Account.display_name).where(Account.id == invitation.withdrawn_by_id))
        if invitation.withdrawn_by_id is not None
        else None
    )
    counts = mail_counts(session, invitation)
    allowed = actions(session, invitation, now, counts)
    return PersonDetail(
        invitation_id=invitation.id,
        round_id=rnd.id,
        round_name=rnd.name,
        name=person.name,
        email=person.email,
        role=person.role,
        organisation=person.organisation.name,
        sector=sectors.get(person.organisation.sector, person.organisation.sector),
        region=person.organisation.region.name,
        language=person.language,
        status=invitation.status,
        status_label=invitation_status_label(invitation.status),
        invited_at=invitation.created_at,
        answered_at=invitation.answered_at,
        withdrawn_at=invitation.withdrawn_at,
        withdrawn_by=withdrawn_by,
        ranking=tuple(titles.get(slug, slug) for slug in invitation.theme_preferences),
        availability=tuple(Slot(titles.get(t, t), start, end) for t, start, end in slots),
        seats=tuple(
            SeatLine(
                titles.get(t, t),
                start,
                end,
                group,
                cs_status == SessionStatus.PLANNED and seat_status == AttendeeStatus.SCHEDULED,
                session_id,
            )
            for t, start, end, group, cs_status, seat_status, session_id in seats
        ),
        contributions=tuple(
            ContributionLine(
                contribution_kind_label(kind), titles.get(t, t), at, draft, len(text.split())
            )
            for t, kind, at, draft, text in contributions
        ),
        mails=tuple(
            MailLine(
                kind=kind_label(m.kind),
                to=m.recipient_email,
                subject=m.subject,
                queued_at=m.created_at,
                sent_at=m.sent_at,
                state=m.status,
                state_label=state_label(m.status),
                attempts=m.attempts,
                reply=m.last_error or "",
            )
            for m in mails
        ),
        passed_on_by=_colleague(invitation.delegated_from) if invitation.delegated_from else None,
        passed_on_to=tuple(_colleague(d) for d in passed_on_to),
        blocked=Blocked(blocked.reason, blocked.created_at) if blocked else None,
        actions=allowed,
        invitations_sent=counts.get(OutboxKind.INVITATION, 0),
        reminders_sent=reminder_count(counts, allowed.remind),
    )
