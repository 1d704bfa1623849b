"""Mailing review: each mailing of a round (its invitations, its reminders, its calendar
invitations, its requests for input) waits in the outbox until the secretariat has seen how
many people get it and what it says, and approved it. Approved once, a mailing stays approved:
mail of that kind queued later for the round leaves at once.

The one decision "is this message held?" lives here (`is_held`, and `held_condition`, the same
rule as a condition on the outbox); the sender (consult.mail.outbox.send_due) only leaves the
rows it is told to leave. Whether a round needs approval at all is its spec's require_approval,
else the configuration's [mail] require_approval (on by default).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consult.app import audit
from consult.app.status import kind_label
from consult.i18n import gettext as _
from consult.spec import stored_spec
from consult.tokens import REDACTED_PATH
from models import Account, MailingApproval, OutboxKind, OutboxMessage, OutboxStatus, Person, Round
from models.base import utcnow

# The kinds of mail that make up a round's mailings. Confirmations answer something an invitee
# just did and calendar cancellations follow an approved calendar invitation: they never wait.
MAILING_KINDS: Final = (
    OutboxKind.INVITATION,
    OutboxKind.REMINDER,
    OutboxKind.CALENDAR_REQUEST,
    OutboxKind.INPUT_REQUEST,
)
WAITING: Final = (OutboxStatus.PENDING, OutboxStatus.SENDING)
LANGUAGES: Final = ("nl", "en")


# --------------------------------------------------------------------------------------------
# The rule


def requires_approval(spec_value: bool | None, configured: bool) -> bool:
    """Whether a round's mailings wait for approval: its spec decides, else the configuration."""
    return configured if spec_value is None else spec_value


def is_held(kind: OutboxKind, round_requires: bool, approved: bool) -> bool:
    """Whether a waiting message of this kind, in a round that does or does not require
    approval, and whose mailing is or is not approved, stays in the outbox."""
    return kind in MAILING_KINDS and round_requires and not approved


def round_requires(session: Session, round_id: int, configured: bool) -> bool:
    rnd = session.get(Round, round_id)
    if rnd is None:
        return False
    return requires_approval(stored_spec(rnd.spec).require_approval, configured)


def _approved(session: Session, round_ids: Collection[int]) -> set[tuple[int, OutboxKind]]:
    if not round_ids:
        return set()
    return {
        (round_id, kind)
        for round_id, kind in session.execute(
            select(MailingApproval.round_id, MailingApproval.kind).where(
                MailingApproval.round_id.in_(round_ids)
            )
        ).tuples()
    }


def held_mailings(session: Session, configured: bool) -> set[tuple[int, OutboxKind]]:
    """(round, kind) of every mailing with mail waiting that is held for approval."""
    waiting = set(
        session.execute(
            select(OutboxMessage.round_id, OutboxMessage.kind)
            .where(
                OutboxMessage.status.in_(WAITING),
                OutboxMessage.round_id.is_not(None),
                OutboxMessage.kind.in_(MAILING_KINDS),
            )
            .distinct()
        ).tuples()
    )
    round_ids = {round_id for round_id, _kind in waiting if round_id is not None}
    if not round_ids:
        return set()
    specs = dict(
        session.execute(select(Round.id, Round.spec).where(Round.id.in_(round_ids))).tuples().all()
    )
    needs = {
        rid: requires_approval(stored_spec(spec).require_approval, configured)
        for rid, spec in specs.items()
    }
    approved = _approved(session, round_ids)
    return {
        (round_id, kind)
        for round_id, kind in waiting
        if round_id is not None
        and is_held(kind, needs.get(round_id, False), (round_id, kind) in approved)
    }


def held_condition(session: Session, configured: bool) -> ColumnElement[bool] | None:
    """The outbox rows `is_held` keeps back now, as a condition (never NULL for a row); None
    when nothing is held."""
    held = held_mailings(session, configured)
    if not held:
        return None
    return or_(
        false(),
        *(
            and_(
                OutboxMessage.round_id.is_not(None),
                OutboxMessage.round_id == round_id,
                OutboxMessage.kind == kind,
            )
            for round_id, kind in sorted(held)
        ),
    )


def holding(configured: bool) -> Callable[[Session], ColumnElement[bool] | None]:
    """The sender's `held` predicate, for a process whose configuration says `configured`."""

    def held(session: Session) -> ColumnElement[bool] | None:
        return held_condition(session, configured)

    return held


# --------------------------------------------------------------------------------------------
# What the secretariat sees


@dataclass(frozen=True)
class Approval:
    by: str
    at: datetime
    waiting: int


@dataclass(frozen=True)
class Mailing:
    kind: OutboxKind
    label: str
    waiting: int  # messages not sent yet
    recipients: int  # different addresses among them
    sent: int
    required: bool
    approval: Approval | None

    @property
    def held(self) -> bool:
        return self.waiting > 0 and is_held(self.kind, self.required, self.approval is not None)


@dataclass(frozen=True)
class RoundMailings:
    round_id: int
    slug: str
    name: str
    required: bool
    mailings: tuple[Mailing, ...]

    @property
    def held(self) -> int:
        """Messages waiting for approval, over every mailing."""
        return sum(m.waiting for m in self.mailings if m.held)


class UnknownMailing(LookupError):
    pass


class NothingWaiting(ValueError):
    pass


def mailing_kind(value: str) -> OutboxKind:
    """The kind of mailing `value` names (its value, such as "invitation"); UnknownMailing
    otherwise, with the kinds there are."""
    for kind in MAILING_KINDS:
        if kind.value == value.strip().lower():
            return kind
    raise UnknownMailing(
        _(
            "'%(value)s' is no mailing; choose from %(kinds)s",
            value=value,
            kinds=", ".join(k.value for k in MAILING_KINDS),
        )
    )


def _approvals(session: Session, round_id: int) -> dict[OutboxKind, Approval]:
    return {
        a.kind: Approval(a.approved_by, a.approved_at, a.waiting)
        for a in session.scalars(
            select(MailingApproval).where(MailingApproval.round_id == round_id)
        )
    }


def round_mailings(session: Session, round_id: int, configured: bool) -> RoundMailings | None:
    """Every mailing of a round with its counts and approval; None when there is no such round.
    Labels are in the current language."""
    rnd = session.get(Round, round_id)
    if rnd is None:
        return None
    required = requires_approval(stored_spec(rnd.spec).require_approval, configured)
    in_round = [OutboxMessage.round_id == round_id, OutboxMessage.kind.in_(MAILING_KINDS)]
    waiting = {
        kind: (n, people)
        for kind, n, people in session.execute(
            select(
                OutboxMessage.kind,
                func.count(OutboxMessage.id),
                func.count(func.distinct(func.lower(OutboxMessage.recipient_email))),
            )
            .where(*in_round, OutboxMessage.status.in_(WAITING))
            .group_by(OutboxMessage.kind)
        ).tuples()
    }
    sent = {
        kind: n
        for kind, n in session.execute(
            select(OutboxMessage.kind, func.count(OutboxMessage.id))
            .where(*in_round, OutboxMessage.status == OutboxStatus.SENT)
            .group_by(OutboxMessage.kind)
        ).tuples()
    }
    approvals = _approvals(session, round_id)
    return RoundMailings(
        round_id=rnd.id,
        slug=rnd.slug,
        name=rnd.name,
        required=required,
        mailings=tuple(
            Mailing(
                kind=kind,
                label=kind_label(kind),
                waiting=waiting.get(kind, (0, 0))[0],
                recipients=waiting.get(kind, (0, 0))[1],
                sent=sent.get(kind, 0),
                required=required,
                approval=approvals.get(kind),
            )
            for kind in MAILING_KINDS
        ),
    )


def held_count(session: Session, round_id: int, configured: bool) -> int:
    """How many messages of the round wait for the approval of their mailing."""
    found = round_mailings(session, round_id, configured)
    return found.held if found is not None else 0


@dataclass(frozen=True)
class Sample:
    """One waiting message as its recipient will get it, personal links left as placeholders."""

    language: str
    recipient_name: str
    recipient_email: str
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Preview:
    round_id: int
    round_name: str
    mailing: Mailing
    # Waiting messages per language of their recipients.
    languages: Mapping[str, int]
    samples: tuple[Sample, ...]


# A raw token in a link, as messages queued before links were sealed had them: never shown.
_RAW_LINK = re.compile(r"/i/[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])")


def _shown(text: str) -> str:
    return _RAW_LINK.sub(REDACTED_PATH, text)


def preview(session: Session, round_id: int, kind: OutboxKind, configured: bool) -> Preview | None:
    """A mailing's counts and, for each language its recipients read, the first waiting
    message in it; None when there is no such round."""
    found = round_mailings(session, round_id, configured)
    if found is None:
        return None
    mailing = next(m for m in found.mailings if m.kind == kind)
    waiting = [
        OutboxMessage.round_id == round_id,
        OutboxMessage.kind == kind,
        OutboxMessage.status.in_(WAITING),
    ]
    language = func.coalesce(Person.language, "nl")
    counted = {
        lang if lang in LANGUAGES else "nl": n
        for lang, n in session.execute(
            select(language, func.count(OutboxMessage.id))
            .outerjoin(Person, Person.id == OutboxMessage.person_id)
            .where(*waiting)
            .group_by(language)
        ).tuples()
    }
    per_language: dict[str, int] = {k: counted[k] for k in LANGUAGES if k in counted}
    samples = []
    for lang in LANGUAGES:
        if not per_language.get(lang):
            continue
        row = session.scalar(
            select(OutboxMessage)
            .outerjoin(Person, Person.id == OutboxMessage.person_id)
            .where(*waiting, language == lang)
            .order_by(OutboxMessage.id)
            .limit(1)
        )
        if row is not None:
            samples.append(
                Sample(
                    lang,
                    row.recipient_name,
                    row.recipient_email,
                    _shown(row.subject),
                    _shown(row.text_body),
                    _shown(row.html_body),
                )
            )
    return Preview(found.round_id, found.name, mailing, per_language, tuple(samples))


# --------------------------------------------------------------------------------------------
# Approving


@dataclass(frozen=True)
class Approved:
    approval: Approval
    # False when it had been approved before (by `approval.by`): nothing changed.
    new: bool


def approve(
    session: Session,
    round_id: int,
    kind: OutboxKind,
    by: str,
    account_id: int | None = None,
    now: datetime | None = None,
) -> Approved:
    """Approve a round's mailing of `kind`, recorded with who and when (and in the audit log);
    its waiting messages go with the next sending. Approving an approved mailing changes
    nothing. Raises LookupError for an unknown round, UnknownMailing for a kind that is no
    mailing, NothingWaiting when no message of it waits (there is nothing to review yet)."""
    mailing_kind(kind.value)  # UnknownMailing for a kind that is no mailing
    rnd = session.get(Round, round_id)
    if rnd is None:
        raise LookupError(round_id)
    earlier = _approvals(session, round_id).get(kind)
    if earlier is not None:
        return Approved(earlier, new=False)
    waiting = (
        session.scalar(
            select(func.count(OutboxMessage.id)).where(
                OutboxMessage.round_id == round_id,
                OutboxMessage.kind == kind,
                OutboxMessage.status.in_(WAITING),
            )
        )
        or 0
    )
    if not waiting:
        raise NothingWaiting(
            _(
                "no %(mailing)s of round %(round)s is waiting: there is nothing to approve yet",
                mailing=kind_label(kind),
                round=rnd.slug,
            )
        )
    if account_id is None:
        account_id = session.scalar(
            select(Account.id).where(func.lower(Account.email) == by.strip().lower())
        )
    row = MailingApproval(
        round_id=round_id,
        kind=kind,
        approved_by=by.strip()[:254],
        account_id=account_id,
        approved_at=now or utcnow(),
        waiting=waiting,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # Approved by someone else at the same moment: theirs stands.
        theirs = _approvals(session, round_id)[kind]
        return Approved(theirs, new=False)
    audit.record(
        session,
        audit.Action.MAILING_APPROVED,
        round_id=round_id,
        subject=("mailing_approval", row.id),
        details={"kind": kind.value, "waiting": waiting, "approved_by": row.approved_by},
        at=row.approved_at,
    )
    return Approved(Approval(row.approved_by, row.approved_at, waiting), new=True)
