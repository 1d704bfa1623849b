"""One audit log for every state-changing action, by anyone; append-only from the application.

Rows are only ever added. The ORM refuses to update or delete one (a flush that would, and an
UPDATE or DELETE statement aimed at the table through a session, raise `AuditLogIsAppendOnly`);
on PostgreSQL a trigger refuses the same to any client, and on SQLite triggers refuse deletes
and changes to anything but the details.

The one exception is deliberate and narrow: erasing a person (or a round's personal data when
its retention ends) must pseudonymise names and addresses inside the details and detach the
entries from the person's records, while the entries themselves stay. That route is
`pseudonymise_details`: a Core UPDATE of `details` alone, which the session lets through only
with the execution option PSEUDONYMISE, and which on PostgreSQL sets the transaction-local
setting the trigger checks. Nothing else can change a row.

Every BlockEvent (a staff decision on a building block, or a synthesis run) is mirrored into the
log as it is inserted, so the log holds every decision whoever takes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Connection, String, Table, event, insert, text, update
from sqlalchemy.orm import Mapped, Mapper, ORMExecuteState, Session, mapped_column

from models.base import Base, utcnow
from models.contribution import BlockEvent
from models.invitation import Invitation

# Execution option of the one statement allowed to change audit rows (see module docstring).
PSEUDONYMISE = "consult_audit_pseudonymise"
# The PostgreSQL setting, local to one transaction, that the trigger lets through.
PG_SETTING = "consult.audit_pseudonymise"


class AuditAction(StrEnum):
    """What an entry records; "block.<action>" entries mirror BlockEvents."""

    REGISTRY_IMPORT = "registry.import"
    ADDRESS_CORRECTED = "registry.correct_address"
    ROUND_LAUNCH = "round.launch"
    # A secretariat member approves a mailing in the workplace before it goes out.
    MAILING_APPROVED = "mailing.approve"
    MAIL_SENT = "mail.sent"
    MAIL_FAILED = "mail.failed"
    MAIL_DEFERRED = "mail.deferred"
    SCHEDULE_APPLIED = "schedule.apply"
    SLOT_WITHDRAWN = "schedule.withdraw_slot"
    # A proposal computed and kept in the workplace, to be looked at before it is applied.
    SCHEDULE_PROPOSED = "schedule.propose"
    ANSWER = "invitation.answer"
    AVAILABILITY = "invitation.availability"
    RANKING = "invitation.ranking"
    DELEGATION = "invitation.delegate"
    CALENDAR_REPLY = "invitation.calendar_reply"
    INPUT_SUBMITTED = "contribution.submit"
    INPUT_IMPORTED = "contribution.import"
    REPORT_WRITTEN = "report.write"
    EXPORT = "privacy.export"
    ERASURE = "privacy.erase"
    RETENTION = "privacy.retention"
    SIGN_IN = "account.sign_in"
    SIGN_IN_FAILED = "account.sign_in_failed"
    ACCOUNT_ADDED = "account.add"
    ACCOUNT_DISABLED = "account.disable"
    ACCOUNT_RESET = "account.reset"
    # The secretariat acting on one invitee, on the registry and on outgoing mail (workplace).
    INVITATION_SENT_AGAIN = "invitation.send_again"
    REMINDED = "invitation.remind"
    WITHDRAWN = "invitation.withdraw"
    PERSON_EDITED = "registry.edit_person"
    ORGANISATION_EDITED = "registry.edit_organisation"
    MAIL_RETRIED = "mail.retry"
    ADDRESS_RELEASED = "mail.release"
    # A facilitator's note or lesson learned, taken during a session in the workplace.
    SESSION_NOTE = "contribution.session_note"


# Detail keys that must never reach the log: what they hold would outlive its purpose (links,
# bodies) or open something (secrets).
FORBIDDEN_KEYS = frozenset(
    {"token", "password", "secret", "body", "text_body", "html_body", "calendar_ics", "csrf"}
)


class AuditLogIsAppendOnly(RuntimeError):
    """Something tried to change or remove an audit entry."""


class AuditEntry(Base):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # Who: a staff or secretariat name (or workplace account), "invitee:<invitation id>" for an
    # invitee acting through their link or calendar, or "system" for the service.
    actor: Mapped[str] = mapped_column(String(200), index=True)
    action: Mapped[str] = mapped_column(String(50), index=True)
    # Plain numbers, not foreign keys: the log outlives what it names (an erased person, a
    # merged block). Ids are never handed out twice (AUTOINCREMENT on SQLite, sequences on
    # PostgreSQL), so a number names one thing for ever.
    round_id: Mapped[int | None] = mapped_column(index=True)
    person_id: Mapped[int | None] = mapped_column(index=True)
    subject_type: Mapped[str] = mapped_column(String(30), default="")
    subject_id: Mapped[int | None]
    # What happened, enough to understand it later. Never a secret, a token or a mail body.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def invitee(invitation_id: int) -> str:
    """The actor an invitee is, acting through their link or calendar."""
    return f"invitee:{invitation_id}"


def add_entry(
    session: Session,
    action: AuditAction | str,
    actor: str,
    *,
    round_id: int | None = None,
    person_id: int | None = None,
    subject: tuple[str, int | None] = ("", None),
    details: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Add one entry in the caller's unit of work (consult.app.audit.record names the actor)."""
    data = dict(details or {})
    forbidden = FORBIDDEN_KEYS.intersection(k.lower() for k in data)
    if forbidden:
        raise ValueError(f"audit details must not hold {sorted(forbidden)}")
    entry = AuditEntry(
        at=at or utcnow(),
        actor=actor[:200],
        action=str(action),
        round_id=round_id,
        person_id=person_id,
        subject_type=subject[0],
        subject_id=subject[1],
        details=data,
    )
    session.add(entry)
    return entry


def by_invitee(
    session: Session,
    invitation: Invitation,
    action: AuditAction,
    details: Mapping[str, Any] | None = None,
) -> None:
    """An invitee changed something through their link (or their calendar): logged as them."""
    add_entry(
        session,
        action,
        invitee(invitation.id),
        round_id=invitation.round_id,
        person_id=invitation.person_id,
        subject=("invitation", invitation.id),
        details=details,
    )


@event.listens_for(AuditEntry, "before_update")
def _refuse_update(_mapper: Mapper[Any], _connection: Connection, _target: AuditEntry) -> None:
    raise AuditLogIsAppendOnly("audit entries cannot be changed")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(_mapper: Mapper[Any], _connection: Connection, _target: AuditEntry) -> None:
    raise AuditLogIsAppendOnly("audit entries cannot be removed")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state: ORMExecuteState) -> None:
    # UPDATE and DELETE statements bypass the flush events above.
    if not (state.is_update or state.is_delete):
        return
    # Compared by name: the statement may hold an annotated copy of the table.
    if getattr(getattr(state.statement, "table", None), "name", None) != AuditEntry.__tablename__:
        return
    if state.is_update and state.execution_options.get(PSEUDONYMISE):
        return
    raise AuditLogIsAppendOnly("audit entries cannot be changed or removed")


def pseudonymise_details(
    session: Session, changes: Mapping[int, tuple[dict[str, Any], int | None]]
) -> None:
    """The erasure and retention route: give entries new details and a person id (or None),
    nothing else. `changes` maps an entry's id to (details, person_id)."""
    if not changes:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SELECT set_config('{PG_SETTING}', 'on', true)"))
    table = _table()
    for entry_id, (details, person_id) in changes.items():
        session.execute(
            update(table)
            .where(table.c.id == entry_id)
            .values(details=details, person_id=person_id)
            .execution_options(**{PSEUDONYMISE: True})
        )
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SELECT set_config('{PG_SETTING}', 'off', true)"))


def forget_people(session: Session, round_id: int) -> int:
    """The retention route: detach a round's entries from the people they were about (the
    same narrow exception as `pseudonymise_details`). Returns how many entries."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text(f"SELECT set_config('{PG_SETTING}', 'on', true)"))
    table = _table()
    result = session.execute(
        update(table)
        .where(table.c.round_id == round_id, table.c.person_id.is_not(None))
        .values(person_id=None)
        .execution_options(**{PSEUDONYMISE: True})
    )
    if dialect == "postgresql":
        session.execute(text(f"SELECT set_config('{PG_SETTING}', 'off', true)"))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _table() -> Table:
    table = AuditEntry.__table__
    assert isinstance(table, Table)
    return table


@event.listens_for(BlockEvent, "after_insert")
def _mirror_block_event(_mapper: Mapper[Any], connection: Connection, target: BlockEvent) -> None:
    connection.execute(
        insert(_table()).values(
            at=target.at,
            actor=target.actor,
            action=f"block.{target.action}",
            round_id=target.round_id,
            person_id=None,
            subject_type="block" if target.block_id is not None else "round",
            subject_id=target.block_id if target.block_id is not None else target.round_id,
            details={"block_event_id": target.id, **target.details},
        )
    )
