"""Where a round stands, per theme: invited, answered, accepted, scheduled, input, blocks; the
people mail could not be delivered to (one line each: what did not reach them, and whether
their address bounced, which holds all further mail); what the service does now and at the next
deadlines."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.app.facts import round_facts
from consult.app.lifecycle import status_label
from consult.i18n import current_language, format_datetime, ngettext, pgettext
from consult.i18n import gettext as _
from consult.service.deadlines import NextStep, due_actions, next_steps
from consult.spec import stored_spec
from consult.text import escape_markdown
from models import (
    AttendeeStatus,
    BuildingBlock,
    ConsultationSession,
    Contribution,
    Invitation,
    InvitationStatus,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    Round,
    RoundStatus,
    SessionAttendee,
    SuppressedAddress,
    Theme,
)


def kind_label(kind: OutboxKind) -> str:
    """What a message in the outbox is, as the secretariat reads it."""
    labels = {
        OutboxKind.INVITATION: pgettext("outbox kind", "invitation"),
        OutboxKind.REMINDER: pgettext("outbox kind", "reminder"),
        OutboxKind.CONFIRMATION: pgettext("outbox kind", "confirmation"),
        OutboxKind.INPUT_REQUEST: pgettext("outbox kind", "request for input"),
        OutboxKind.CALENDAR_REQUEST: pgettext("outbox kind", "calendar invitation"),
        OutboxKind.CALENDAR_CANCEL: pgettext("outbox kind", "calendar cancellation"),
        OutboxKind.PASSWORD_RESET: pgettext("outbox kind", "password reset link"),
    }
    return labels[kind]


class UnknownRound(LookupError):
    pass


def find_round(session: Session, slug: str) -> Round:
    rnd = session.scalar(select(Round).where(Round.slug == slug))
    if rnd is None:
        known = ", ".join(session.scalars(select(Round.slug).order_by(Round.id))) or _("none")
        raise UnknownRound(
            _("unknown round '%(round)s' (known rounds: %(known)s)", round=slug, known=known)
        )
    return rnd


@dataclass(frozen=True)
class ThemeStatus:
    theme: str  # the title the secretariat knows it by, in the current language
    invited: int
    answered: int
    accepted: int
    scheduled: int
    contributions: int
    blocks: int


@dataclass(frozen=True)
class Undelivered:
    """One person (address) mail of this round did not reach."""

    email: str
    name: str
    kinds: tuple[str, ...]  # what did not reach them (labels), in the order it was sent
    reply: str  # the server's reply
    # The address bounced: it is suppressed and gets no mail until the secretariat fixes it.
    bounced: bool

    @property
    def state(self) -> str:
        return _("blocked (bounced)") if self.bounced else _("failed")


@dataclass(frozen=True)
class RoundStatusView:
    slug: str
    name: str
    status: str
    themes: tuple[ThemeStatus, ...]
    undelivered: tuple[Undelivered, ...]
    # What the service does at its next tick (labels), and what comes after that.
    due_now: tuple[str, ...] = ()
    next_steps: tuple[NextStep, ...] = field(default_factory=tuple)
    automated: bool = True
    # Accepted invitees who sit in no session although the round was scheduled.
    accepted_unplaced: int = 0


def round_status(
    session: Session,
    round_id: int,
    now: datetime | None = None,
    require_approval: bool | None = None,
) -> RoundStatusView:
    """`require_approval`: the configuration's [mail] require_approval (see round_facts)."""
    moment = now or datetime.now(UTC)
    rnd = session.get_one(Round, round_id)
    facts = round_facts(session, round_id, moment, require_approval=require_approval)
    invited: Counter[str] = Counter()
    answered: Counter[str] = Counter()
    accepted: Counter[str] = Counter()
    # A withdrawn invitation no longer counts as one: the secretariat took it back.
    # Two columns, not whole invitations: a national round has thousands of them.
    for status, preferences in session.execute(
        select(Invitation.status, Invitation.theme_preferences).where(
            Invitation.round_id == round_id, Invitation.status != InvitationStatus.WITHDRAWN
        )
    ):
        first = preferences[0] if preferences else ""
        invited[first] += 1
        if status != InvitationStatus.PENDING:
            answered[first] += 1
        if status == InvitationStatus.ACCEPTED:
            accepted[first] += 1

    def per_theme(query: object) -> Counter[str]:
        return Counter({slug: n for slug, n in session.execute(query)})  # type: ignore[call-overload]

    scheduled = per_theme(
        select(Theme.slug, func.count(SessionAttendee.id))
        .join(ConsultationSession, ConsultationSession.theme_id == Theme.id)
        .join(SessionAttendee, SessionAttendee.session_id == ConsultationSession.id)
        .where(
            ConsultationSession.round_id == round_id,
            SessionAttendee.status == AttendeeStatus.SCHEDULED,
        )
        .group_by(Theme.slug)
    )
    contributions = per_theme(
        select(Theme.slug, func.count(Contribution.id))
        .join(Contribution, Contribution.theme_id == Theme.id)
        .where(Contribution.round_id == round_id, Contribution.draft.is_(False))
        .group_by(Theme.slug)
    )
    blocks = per_theme(
        select(Theme.slug, func.count(BuildingBlock.id))
        .join(BuildingBlock, BuildingBlock.theme_id == Theme.id)
        .where(BuildingBlock.round_id == round_id)
        .group_by(Theme.slug)
    )
    slugs = [t.slug for t in stored_spec(rnd.spec).themes]
    english = current_language() == "en"
    titles = {
        slug: title_en if english else title_nl
        for slug, title_nl, title_en in session.execute(
            select(Theme.slug, Theme.title_nl, Theme.title_en)
        )
    }
    seated = (
        select(SessionAttendee.person_id)
        .join(ConsultationSession, ConsultationSession.id == SessionAttendee.session_id)
        .where(
            ConsultationSession.round_id == round_id,
            SessionAttendee.status == AttendeeStatus.SCHEDULED,
        )
    )
    unplaced = 0
    if rnd.status != RoundStatus.INVITING:
        unplaced = (
            session.scalar(
                select(func.count(Invitation.id)).where(
                    Invitation.round_id == round_id,
                    Invitation.status == InvitationStatus.ACCEPTED,
                    Invitation.person_id.not_in(seated),
                )
            )
            or 0
        )
    return RoundStatusView(
        slug=rnd.slug,
        name=rnd.name,
        status=status_label(rnd.status),
        themes=tuple(
            ThemeStatus(
                titles.get(s, s),
                invited[s],
                answered[s],
                accepted[s],
                scheduled[s],
                contributions[s],
                blocks[s],
            )
            for s in slugs
        ),
        undelivered=undelivered(session, round_id),
        due_now=tuple(a.describe() for a in due_actions(facts, moment)),
        next_steps=tuple(next_steps(facts, moment)),
        automated=facts.automation.enabled,
        accepted_unplaced=unplaced,
    )


def unplaced_warning(view: RoundStatusView) -> str | None:
    if not view.accepted_unplaced:
        return None
    return ngettext(
        "%(num)s invitee who said yes is in no session; `consult schedule preview %(round)s` "
        "shows why.",
        "%(num)s invitees who said yes are in no session; `consult schedule preview %(round)s` "
        "shows why.",
        view.accepted_unplaced,
        round=view.slug,
    )


def undelivered(session: Session, round_id: int) -> tuple[Undelivered, ...]:
    """One line per address: a bounced address had every later message held back, which would
    otherwise list it once per message."""
    bounced: dict[str, str] = {
        email: reason
        for email, reason in session.execute(
            select(SuppressedAddress.email, SuppressedAddress.reason)
        )
    }
    messages = session.execute(
        select(
            OutboxMessage.recipient_email,
            OutboxMessage.recipient_name,
            OutboxMessage.kind,
            OutboxMessage.last_error,
        )
        .where(
            OutboxMessage.round_id == round_id,
            OutboxMessage.status.in_([OutboxStatus.FAILED, OutboxStatus.SUPPRESSED]),
        )
        .order_by(OutboxMessage.id)
    )
    found: dict[str, tuple[str, list[str], str]] = {}
    for email, name, kind, error in messages:
        address = email.lower()
        _, kinds, reply = found.setdefault(address, (name, [], ""))
        if kind_label(kind) not in kinds:
            kinds.append(kind_label(kind))
        if error and not reply:
            found[address] = (name, kinds, error)
    return tuple(
        Undelivered(
            address,
            name,
            tuple(kinds),
            reply or bounced.get(address, ""),
            address in bounced,
        )
        for address, (name, kinds, reply) in sorted(found.items())
    )


def theme_columns() -> tuple[str, ...]:
    """The headings of the per-theme table, in the order of `theme_row`."""
    return (
        pgettext("status column", "theme"),
        pgettext("status column", "invited"),
        pgettext("status column", "answered"),
        pgettext("status column", "yes"),
        pgettext("status column", "scheduled"),
        pgettext("status column", "input"),
        pgettext("status column", "building blocks"),
    )


def theme_row(t: ThemeStatus) -> tuple[str, ...]:
    return (
        t.theme,
        *(
            str(n)
            for n in (t.invited, t.answered, t.accepted, t.scheduled, t.contributions, t.blocks)
        ),
    )


def undelivered_columns() -> tuple[str, ...]:
    """The headings of the undelivered table, in the order of `undelivered_row`."""
    return (
        pgettext("status column", "address"),
        pgettext("status column", "name"),
        pgettext("status column", "state"),
        pgettext("status column", "not delivered"),
        pgettext("status column", "server's reply"),
    )


def undelivered_row(u: Undelivered) -> tuple[str, ...]:
    return (u.email, u.name, u.state, ", ".join(u.kinds), u.reply)


def step_when(step: NextStep) -> str:
    return format_datetime(step.when, current_language()) if step.when else _("when staff are done")


def status_markdown(view: RoundStatusView) -> str:
    """The status as Markdown, for the Prefect artifact `status-<round>` the flows update."""

    def cell(text: str) -> str:
        # Names and server replies come from outside; the artifact is rendered as Markdown.
        return escape_markdown(text).replace("\n", " ")

    themes, failed = theme_columns(), undelivered_columns()
    lines = [
        f"# {cell(view.name)} ({view.slug})",
        "",
        _("Status: **%(status)s**", status=view.status),
        "",
    ]
    lines += ["| " + " | ".join(themes) + " |", "|" + "---|" * len(themes)]
    lines += ["| " + " | ".join(cell(c) for c in theme_row(t)) + " |" for t in view.themes]
    warning = unplaced_warning(view)
    if warning:
        lines += ["", _("**Note:** %(warning)s", warning=cell(warning))]
    lines += ["", "## " + _("To do now"), ""]
    if not view.automated:
        lines.append(
            _("The service does not handle this round itself (`[automation] enabled = false`).")
        )
    lines += [f"- {what}" for what in view.due_now] or ["- " + _("nothing")]
    lines += ["", "## " + _("Next moments"), ""]
    lines += [f"- {step_when(s)}: {cell(s.what)}" for s in view.next_steps] or ["- " + _("none")]
    if view.undelivered:
        lines += ["", "## " + _("Not delivered"), "", "| " + " | ".join(failed) + " |"]
        lines.append("|" + "---|" * len(failed))
        lines += [
            "| " + " | ".join(cell(c) for c in undelivered_row(u)) + " |" for u in view.undelivered
        ]
    return "\n".join(lines) + "\n"
