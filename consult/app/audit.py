"""The audit log: every state-changing action, by anyone, as one append-only list.

Use cases call `record` in the unit of work of the change they log, so an entry exists exactly
when its change was committed. Who acts comes from consult.actors (the command line's user, a
workplace account, an invitee's link, or the service) unless the caller names them. Details say
what happened in ids, counts and choices; never a secret, a token or a mail body. Names and
addresses appear only where the action is about them, and erasure pseudonymises them there
(consult.app.privacy).

Staff decisions on building blocks reach the log by themselves: every BlockEvent is mirrored
as it is written (models/audit.py), as "block.<action>".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from consult.actors import current_actor
from consult.i18n import gettext as _
from consult.i18n import pgettext
from models import AuditEntry, OutboxMessage, OutboxStatus, Person, Round
from models.audit import AuditAction as Action
from models.audit import add_entry, by_invitee, invitee

if TYPE_CHECKING:
    from consult.mail.smtp import DeliveryResult

__all__ = [
    "Action",
    "by_invitee",
    "invitee",
    "mail_outcome",
    "record",
    "sign_in",
    "sign_in_failed",
]


def record(
    session: Session,
    action: Action | str,
    *,
    actor: str | None = None,
    round_id: int | None = None,
    person_id: int | None = None,
    subject: tuple[str, int | None] = ("", None),
    details: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Add one entry to the log in the caller's unit of work; the actor defaults to whoever
    acts in this process (consult.actors)."""
    return add_entry(
        session,
        action,
        actor or current_actor(),
        round_id=round_id,
        person_id=person_id,
        subject=subject,
        details=details,
        at=at,
    )


_RESULTS = {
    OutboxStatus.SENT: Action.MAIL_SENT,
    OutboxStatus.FAILED: Action.MAIL_FAILED,
}


def mail_outcome(session: Session, row: OutboxMessage, result: DeliveryResult) -> None:
    """One entry per outcome of a message (the outbox's on_outcome hook): recipient (the
    person, or for mail to a workplace account its address), kind, time and result."""
    details: dict[str, Any] = {
        "kind": row.kind.value,
        "attempt": row.attempts,
        "result": row.status.value,
    }
    if row.person_id is None:
        details["recipient"] = row.recipient_email
    if not result.ok:
        details["reply"] = result.reply[:500]
    record(
        session,
        _RESULTS.get(row.status, Action.MAIL_DEFERRED),
        actor="system",
        round_id=row.round_id,
        person_id=row.person_id,
        subject=("outbox_message", row.id),
        details=details,
        at=row.sent_at if row.status == OutboxStatus.SENT else None,
    )


def sign_in(session: Session, account_id: int, email: str, second_factor: bool) -> None:
    """For the workplace: an account signed in (password, and the second factor if done)."""
    record(
        session,
        Action.SIGN_IN,
        actor=f"account:{account_id}",
        subject=("account", account_id),
        details={"email": email, "second_factor": second_factor},
    )


def sign_in_failed(session: Session, email: str, reason: str, account_id: int | None) -> None:
    """For the workplace: a sign-in refused (wrong password or code, locked, unknown)."""
    record(
        session,
        Action.SIGN_IN_FAILED,
        actor=f"account:{account_id}" if account_id is not None else "anonymous",
        subject=("account", account_id),
        details={"email": email, "reason": reason},
    )


def account_changed(session: Session, action: Action, account_id: int, **details: Any) -> None:
    """For the workplace and `consult users`: an account added, disabled or reset (by whoever
    acts in this process)."""
    record(session, action, subject=("account", account_id), details=details)


# --------------------------------------------------------------------------------------------
# Reading the log


class UnknownPerson(LookupError):
    pass


@dataclass(frozen=True)
class Filters:
    person_email: str | None = None
    round_slug: str | None = None
    actor: str | None = None
    since: datetime | None = None
    limit: int = 100


@dataclass(frozen=True)
class EntryView:
    id: int
    at: datetime
    actor: str
    action: str  # the label, in the current language
    round: str  # slug, or "" when the entry is about no round
    person_id: int | None
    subject: str
    details: str


def entries(session: Session, filters: Filters) -> list[EntryView]:
    """The newest entries first, as many as the limit, narrowed by the filters. Raises
    UnknownPerson for an address nobody in the registry has, UnknownRound for a slug."""
    from consult.app.status import find_round

    query = select(AuditEntry)
    if filters.person_email is not None:
        address = filters.person_email.strip().lower()
        person_id = session.scalar(select(Person.id).where(func.lower(Person.email) == address))
        if person_id is None:
            raise UnknownPerson(
                _("nobody in the registry has the address %(address)s", address=address)
            )
        query = query.where(AuditEntry.person_id == person_id)
    if filters.round_slug is not None:
        query = query.where(AuditEntry.round_id == find_round(session, filters.round_slug).id)
    if filters.actor is not None:
        who = filters.actor.strip()
        query = query.where(or_(AuditEntry.actor == who, AuditEntry.actor.like(f"{who}:%")))
    if filters.since is not None:
        query = query.where(AuditEntry.at >= filters.since)
    rows = session.scalars(
        query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(filters.limit)
    ).all()
    slugs = dict(session.execute(select(Round.id, Round.slug)).tuples().all())
    return [
        EntryView(
            id=e.id,
            at=e.at,
            actor=e.actor,
            action=action_label(e.action),
            round=slugs.get(e.round_id, str(e.round_id)) if e.round_id is not None else "",
            person_id=e.person_id,
            subject=f"{e.subject_type} {e.subject_id}" if e.subject_id is not None else "",
            details=describe_details(e.details),
        )
        for e in rows
    ]


def action_label(action: str) -> str:
    """What an entry's action was, in the current language; unknown actions show as stored."""
    labels = {
        Action.REGISTRY_IMPORT: pgettext("audit action", "registry imported"),
        Action.ADDRESS_CORRECTED: pgettext("audit action", "address corrected"),
        Action.ROUND_LAUNCH: pgettext("audit action", "round launched"),
        Action.MAILING_APPROVED: pgettext("audit action", "mailing approved"),
        Action.MAIL_SENT: pgettext("audit action", "mail sent"),
        Action.MAIL_FAILED: pgettext("audit action", "mail failed"),
        Action.MAIL_DEFERRED: pgettext("audit action", "mail deferred"),
        Action.SCHEDULE_APPLIED: pgettext("audit action", "schedule applied"),
        Action.SLOT_WITHDRAWN: pgettext("audit action", "slot withdrawn"),
        Action.SCHEDULE_PROPOSED: pgettext("audit action", "schedule proposal computed"),
        Action.ANSWER: pgettext("audit action", "answer"),
        Action.AVAILABILITY: pgettext("audit action", "availability"),
        Action.RANKING: pgettext("audit action", "theme order"),
        Action.DELEGATION: pgettext("audit action", "invitation handed on"),
        Action.CALENDAR_REPLY: pgettext("audit action", "calendar reply"),
        Action.INPUT_SUBMITTED: pgettext("audit action", "input handed in"),
        Action.INPUT_IMPORTED: pgettext("audit action", "input imported"),
        Action.REPORT_WRITTEN: pgettext("audit action", "report written"),
        Action.EXPORT: pgettext("audit action", "personal data exported"),
        Action.ERASURE: pgettext("audit action", "person erased"),
        Action.RETENTION: pgettext("audit action", "retention period ended"),
        Action.SIGN_IN: pgettext("audit action", "signed in"),
        Action.SIGN_IN_FAILED: pgettext("audit action", "sign-in refused"),
        Action.ACCOUNT_ADDED: pgettext("audit action", "account added"),
        Action.ACCOUNT_DISABLED: pgettext("audit action", "account disabled"),
        Action.ACCOUNT_RESET: pgettext("audit action", "account reset"),
        Action.INVITATION_SENT_AGAIN: pgettext("audit action", "invitation sent again"),
        Action.REMINDED: pgettext("audit action", "reminded by hand"),
        Action.WITHDRAWN: pgettext("audit action", "invitation withdrawn"),
        Action.PERSON_EDITED: pgettext("audit action", "person's details changed"),
        Action.ORGANISATION_EDITED: pgettext("audit action", "organisation's details changed"),
        Action.MAIL_RETRIED: pgettext("audit action", "failed mail queued again"),
        Action.ADDRESS_RELEASED: pgettext("audit action", "blocked address released"),
        Action.SESSION_NOTE: pgettext("audit action", "session note taken"),
    }
    if action in labels:
        return labels[Action(action)]
    if action.startswith("block."):
        return pgettext(
            "audit action", "building block: %(decision)s", decision=action.removeprefix("block.")
        )
    return action


def describe_details(details: Mapping[str, Any], width: int = 120) -> str:
    """The details on one line, as key=value pairs."""
    text = ", ".join(f"{k}={v}" for k, v in details.items())
    return text if len(text) <= width else text[: width - 1] + "…"
