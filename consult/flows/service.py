"""The flows `consult serve` adds to the round flows: a tick that acts on deadlines, and flows
that react to events. Thin like the others: what is due comes from consult.app.automation,
the work is done by the round flows (consult/flows/round_cycle.py), called as subflows.

Every flow here takes an optional `now`, so tests (and a secretariat catching up) can set the
clock instead of waiting for a real deadline.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow, task

from consult.app import automation, lessons, retention
from consult.app.batches import SESSIONS_PER_BATCH, chunks
from consult.app.context import current
from consult.flows import round_cycle
from consult.flows.status import publish_round_status, publish_status_after
from consult.service.deadlines import Action, ActionKind
from models import RoundStatus
from models.base import utcnow

# A flow that fails on the way (database or relay briefly away) is run again by Prefect; every
# step it repeats does only what is still missing. A run whose machine died is picked up by the
# next tick instead.
RETRIES, RETRY_DELAY_S = 2, 30


@task
def plan_actions(now: datetime, round_id: int | None = None) -> list[Action]:
    """What is due now for one round, or for every active round."""
    ctx = current()
    with ctx.db.unit_of_work() as session:
        return automation.due(
            session,
            now,
            round_id,
            ctx.settings.privacy.retention_months,
            ctx.settings.mail.require_approval,
        )


@task
def queue_lessons_batch(session_ids: list[int], now: datetime) -> int:
    ctx = current()
    with ctx.db.unit_of_work() as session:
        return lessons.queue_batch(session, ctx, session_ids, now)


@flow(name="request-lessons", retries=RETRIES, retry_delay_seconds=RETRY_DELAY_S)
async def request_lessons(
    round_id: int, session_ids: list[int], now: datetime | None = None
) -> dict[str, int]:
    """Ask the attendees of ended sessions for their lessons learned (once per person and
    session), then send the outbox."""
    moment = now or utcnow()
    queued = sum(
        queue_lessons_batch(batch, moment) for batch in chunks(session_ids, SESSIONS_PER_BATCH)
    )
    return {"queued": queued, **(await round_cycle.send_outbox())}


@task
def apply_retention(round_id: int, now: datetime) -> dict[str, Any]:
    """The round's retention period ended: remove its personal data (safe to repeat)."""
    applied = retention.apply_round(current(), round_id, now)
    return {"retention": applied is not None, **(applied.counts if applied else {})}


@flow(name="send-outbox", retries=RETRIES, retry_delay_seconds=RETRY_DELAY_S)
async def send_outbox_flow() -> dict[str, int]:
    """Send every message that is due (new ones, and retries whose time has come)."""
    result: dict[str, int] = await round_cycle.send_outbox()
    return result


async def run_action(action: Action, now: datetime) -> dict[str, Any]:
    """Run the flow(s) behind one due action; each is safe to repeat."""
    rid = action.round_id
    kind = action.kind
    if kind == ActionKind.SEND_INVITATIONS:
        return dict(await round_cycle.send_invitations(rid))
    if kind == ActionKind.SEND_REMINDERS:
        return dict(await round_cycle.send_reminders(rid, now))
    if kind == ActionKind.SCHEDULE:
        placed = round_cycle.schedule_sessions(rid, now)
        return {**placed, **(await round_cycle.send_calendar_invites(rid))}
    if kind == ActionKind.SEND_CALENDAR:
        return dict(await round_cycle.send_calendar_invites(rid))
    if kind == ActionKind.REQUEST_LESSONS:
        return await request_lessons(rid, list(action.session_ids), now)
    if kind == ActionKind.APPLY_RETENTION:
        return apply_retention(rid, now)
    if kind == ActionKind.SYNTHESISE:
        return dict(round_cycle.synthesise_round(rid))
    if kind == ActionKind.COMPILE_REPORT:
        language = round_state(rid).report_language
        return dict(round_cycle.compile_report(rid, language, now=now))
    return await send_outbox_flow()


@flow(name="service-tick", retries=RETRIES, retry_delay_seconds=RETRY_DELAY_S)
async def service_tick(now: datetime | None = None, round_id: int | None = None) -> list[str]:
    """Look at every active round (or one) and run what its deadlines make due: invitations,
    reminders, scheduling and calendar invitations, lessons-learned requests, synthesis, the
    report once staff approved every block, and mail waiting for a retry."""
    moment = now or utcnow()
    done: list[str] = []
    for action in plan_actions(moment, round_id):
        await run_action(action, moment)
        done.append(f"{action.round_id}:{action.kind.value}")
    return done


@task
def round_state(round_id: int) -> automation.RoundState:
    with current().db.unit_of_work() as session:
        return automation.round_state(session, round_id, utcnow())


@flow(name="on-answer", retries=RETRIES, retry_delay_seconds=RETRY_DELAY_S)
async def on_answer(round_id: int, now: datetime | None = None) -> dict[str, Any]:
    """An invitee of a scheduled round answered or changed their answer: the round is placed
    again, which seats new acceptances and updates calendars. (Answers before scheduling start
    no run: the trigger matches on the round's status; the tick schedules at the deadline.)"""
    state = round_state(round_id)
    if not (
        state.status in (RoundStatus.SCHEDULED, RoundStatus.COLLECTING)
        and state.reschedule_on_change
    ):
        publish_round_status(round_id, now)
        return {"rescheduled": False}
    placed = round_cycle.schedule_sessions(round_id, now)
    sent = await round_cycle.send_calendar_invites(round_id)
    return {"rescheduled": True, **placed, **sent}


@flow(name="on-contribution", retries=RETRIES, retry_delay_seconds=RETRY_DELAY_S)
def on_contribution(round_id: int, now: datetime | None = None) -> dict[str, Any]:
    """Input was handed in after synthesis (the trigger passes only those): it is placed by
    synthesising again, which leaves blocks and staff decisions as they are and places only
    what is new. Run by hand before synthesis, it only refreshes the status."""
    if round_state(round_id).status != RoundStatus.SYNTHESISED:
        publish_round_status(round_id, now)
        return {"synthesised": False}
    return {"synthesised": True, **round_cycle.synthesise_round(round_id)}


@flow(name="on-blocks-approved", retries=RETRIES, retry_delay_seconds=RETRY_DELAY_S)
def on_blocks_approved(round_id: int) -> dict[str, Any]:
    """Staff approved the last block of the round: write the report (if the round wants it and
    nothing went back to draft in the meantime)."""
    state = round_state(round_id)
    if not (
        state.report_when_approved
        and state.all_blocks_approved
        and state.status == RoundStatus.SYNTHESISED
    ):
        return {"report": False}
    return {"report": True, **round_cycle.compile_report(round_id, state.report_language)}


publish_status_after(request_lessons, on_answer, on_contribution, on_blocks_approved)
