"""Retention: a round's personal data goes when its retention period ends.

The period is the round spec's `retention_months`, else the configuration's [privacy]
retention_months, counted from the round's report (a round never reported: from its input
deadline). Then the service's tick (or `consult privacy retention`) removes the round's
invitations with their answers and ranking, availability, personal links, seats in sessions,
calendar replies and mail (bodies and addresses), and detaches the round's audit entries from the
people they were about (addresses inside them replaced). Contributions stay as text with the
author's role, sector and region only; attributable ones become role-only, so the reports, which
are written again, keep role-only attributions and count support per sector and region as
before. The registry itself (people as imported) is not part of a round: a person is removed
from it by erasure (consult.app.privacy).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from consult.app import audit
from consult.app.facts import retention_months_of
from consult.app.privacy import ERASED, checkpoint
from consult.app.reports import rewrite_reports
from consult.i18n import pgettext
from consult.service.deadlines import retention_ends
from consult.wiring import App
from models import (
    AccessToken,
    AuditEntry,
    Availability,
    CalendarReply,
    ConsultationSession,
    Contribution,
    ContributionEmbedding,
    DelegationAttempt,
    Invitation,
    OutboxMessage,
    QuotePermission,
    Round,
    SessionAttendee,
    SuppressedAddress,
    block_contribution,
)
from models.audit import forget_people, pseudonymise_details
from models.base import utcnow

# What removal counts, in the order it is shown.
COUNTED = (
    "invitation",
    "availability",
    "access_token",
    "delegation_attempt",
    "session_attendee",
    "calendar_reply",
    "outbox_message",
    "contribution_anonymised",
    "contribution_draft_deleted",
    "audit_entry",
)

_ADDRESS = re.compile(r"[^\s@\"'<>,;]+@[^\s@\"'<>,;]+\.[A-Za-z]{2,}")


@dataclass(frozen=True)
class RetentionPlan:
    round_id: int
    slug: str
    months: int
    ends: datetime
    due: bool
    counts: dict[str, int]


@dataclass(frozen=True)
class _Targets:
    invitation_ids: list[int]
    session_ids: list[int]
    contribution_ids: list[int]
    draft_ids: list[int]


def _targets(session: Session, round_id: int) -> _Targets:
    return _Targets(
        invitation_ids=list(
            session.scalars(select(Invitation.id).where(Invitation.round_id == round_id))
        ),
        session_ids=list(
            session.scalars(
                select(ConsultationSession.id).where(ConsultationSession.round_id == round_id)
            )
        ),
        contribution_ids=list(
            session.scalars(
                select(Contribution.id).where(
                    Contribution.round_id == round_id,
                    Contribution.draft.is_(False),
                    Contribution.person_id.is_not(None),
                )
            )
        ),
        draft_ids=list(
            session.scalars(
                select(Contribution.id).where(
                    Contribution.round_id == round_id, Contribution.draft.is_(True)
                )
            )
        ),
    )


def _where(t: _Targets, round_id: int) -> dict[str, Any]:
    return {
        "availability": (Availability, Availability.invitation_id.in_(t.invitation_ids)),
        "access_token": (AccessToken, AccessToken.invitation_id.in_(t.invitation_ids)),
        "delegation_attempt": (
            DelegationAttempt,
            DelegationAttempt.invitation_id.in_(t.invitation_ids),
        ),
        "session_attendee": (SessionAttendee, SessionAttendee.session_id.in_(t.session_ids)),
        "calendar_reply": (
            CalendarReply,
            or_(
                CalendarReply.invitation_id.in_(t.invitation_ids),
                CalendarReply.session_id.in_(t.session_ids),
            ),
        ),
        "outbox_message": (
            OutboxMessage,
            or_(
                OutboxMessage.round_id == round_id,
                OutboxMessage.invitation_id.in_(t.invitation_ids),
            ),
        ),
    }


def _count(session: Session, round_id: int) -> dict[str, int]:
    t = _targets(session, round_id)
    counts = {
        "invitation": len(t.invitation_ids),
        "contribution_anonymised": len(t.contribution_ids),
        "contribution_draft_deleted": len(t.draft_ids),
        "audit_entry": session.scalar(
            select(func.count(AuditEntry.id)).where(
                AuditEntry.round_id == round_id, AuditEntry.person_id.is_not(None)
            )
        )
        or 0,
    }
    for name, (model, where) in _where(t, round_id).items():
        counts[name] = session.scalar(select(func.count(model.id)).where(where)) or 0
    return {name: counts[name] for name in COUNTED if counts.get(name)}


def plans(session: Session, default_months: int, now: datetime) -> list[RetentionPlan]:
    """Every round that still holds personal data: when it goes, whether that is now, and
    what would go (a dry run)."""
    found = []
    for rnd in session.scalars(
        select(Round).where(Round.personal_data_removed_at.is_(None)).order_by(Round.id)
    ):
        months = retention_months_of(rnd, default_months)
        ends = retention_ends(rnd.reported_at, rnd.input_deadline, months)
        found.append(
            RetentionPlan(rnd.id, rnd.slug, months, ends, now >= ends, _count(session, rnd.id))
        )
    return found


def describe(counts: dict[str, int]) -> str:
    labels = {
        "invitation": pgettext("retention", "invitations and answers"),
        "availability": pgettext("retention", "availability"),
        "access_token": pgettext("retention", "personal links"),
        "delegation_attempt": pgettext("retention", "hand-on attempts"),
        "session_attendee": pgettext("retention", "seats in sessions"),
        "calendar_reply": pgettext("retention", "calendar replies"),
        "outbox_message": pgettext("retention", "mails"),
        "contribution_anonymised": pgettext("retention", "contributions anonymised"),
        "contribution_draft_deleted": pgettext("retention", "drafts deleted"),
        "audit_entry": pgettext("retention", "audit entries detached"),
    }
    return ", ".join(f"{labels.get(k, k)}: {n}" for k, n in counts.items()) or "—"


def remove_personal_data(session: Session, round_id: int, now: datetime) -> dict[str, int]:
    """Remove the round's personal data in the caller's unit of work; returns what went."""
    rnd = session.get_one(Round, round_id)
    counts = _count(session, round_id)
    t = _targets(session, round_id)

    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.round_id == round_id, AuditEntry.details.is_not(None))
    ).all()
    pseudonymise_details(
        session,
        {
            e.id: (_scrub_addresses(e.details), None)
            for e in entries
            if _ADDRESS.search(str(e.details))
        },
    )
    forget_people(session, round_id)

    # Contributions keep their text, and role, sector and region of their author.
    keys: dict[int, str] = {}
    for contribution in session.scalars(
        select(Contribution).where(Contribution.id.in_(t.contribution_ids))
    ):
        person = contribution.person
        assert person is not None
        contribution.anonymous_role = person.role
        contribution.anonymous_sector = person.organisation.sector
        contribution.anonymous_region = person.organisation.region.name
        contribution.anonymous_key = keys.setdefault(person.id, secrets.token_hex(8))
        if contribution.quote_permission == QuotePermission.ATTRIBUTABLE:
            contribution.quote_permission = QuotePermission.ROLE_ONLY
        contribution.source_key = None
        contribution.person = None
    session.flush()
    if t.draft_ids:
        session.execute(
            delete(block_contribution).where(block_contribution.c.contribution_id.in_(t.draft_ids))
        )
        session.execute(
            delete(ContributionEmbedding).where(
                ContributionEmbedding.contribution_id.in_(t.draft_ids)
            )
        )
        session.execute(delete(Contribution).where(Contribution.id.in_(t.draft_ids)))

    where = _where(t, round_id)
    mail_ids = select(OutboxMessage.id).where(where["outbox_message"][1])
    session.execute(
        update(SuppressedAddress)
        .where(SuppressedAddress.outbox_message_id.in_(mail_ids))
        .values(outbox_message_id=None)
    )
    for model, condition in where.values():
        session.execute(delete(model).where(condition))
    session.execute(
        update(Invitation).where(Invitation.id.in_(t.invitation_ids)).values(delegated_from_id=None)
    )
    session.execute(delete(Invitation).where(Invitation.id.in_(t.invitation_ids)))
    # The spec names moderators and committee members by address.
    rnd.spec = {**rnd.spec, "must_place": []}
    rnd.personal_data_removed_at = now
    audit.record(
        session,
        audit.Action.RETENTION,
        actor="system",
        round_id=round_id,
        subject=("round", round_id),
        details={"removed": counts},
        at=now,
    )
    return counts


def _scrub_addresses(value: Any) -> Any:
    if isinstance(value, str):
        return _ADDRESS.sub(ERASED, value)
    if isinstance(value, list):
        return [_scrub_addresses(v) for v in value]
    if isinstance(value, dict):
        return {k: _scrub_addresses(v) for k, v in value.items()}
    return value


def apply_round(ctx: App, round_id: int, now: datetime | None = None) -> RetentionPlan | None:
    """Remove the round's personal data if its retention period has ended and it is still
    held (safe to repeat), then write its report files again. None when nothing was due."""
    moment = now or utcnow()
    default = ctx.settings.privacy.retention_months
    with ctx.db.unit_of_work() as session:
        plan = next((p for p in plans(session, default, moment) if p.round_id == round_id), None)
        if plan is None or not plan.due:
            return None
        remove_personal_data(session, round_id, moment)
    with ctx.db.unit_of_work() as session:
        rewrite_reports(session, ctx, {round_id}, moment)
    checkpoint(ctx)
    return plan


def apply_due(ctx: App, now: datetime | None = None) -> list[RetentionPlan]:
    """Every round whose retention period has ended, one after the other."""
    moment = now or utcnow()
    with ctx.db.unit_of_work() as session:
        due = [p for p in plans(session, ctx.settings.privacy.retention_months, moment) if p.due]
    done = [apply_round(ctx, plan.round_id, moment) for plan in due]
    return [plan for plan in done if plan is not None]
