"""The flows of a consultation round. Thin: each task opens a unit of work and calls one use case
of the application layer (consult.app); the flows only split the work into tasks.

Work is batched (one task per batch of `settings.batch_size` rows) so a large round makes tens
of task runs, not thousands. Every flow is safe to re-run: the use cases do only what is missing.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact

from consult.app import (
    calendar,
    contributions,
    invitations,
    launch,
    outbox,
    reminders,
    replies,
    reports,
    scheduling,
    synthesis,
)
from consult.app.batches import SESSIONS_PER_BATCH, chunks
from consult.app.context import current
from consult.events import prefect_emitter
from consult.flows.status import publish_status_after
from consult.i18n import gettext as _
from consult.spec import load_round_spec
from models.base import utcnow


@task
def launch_round_task(spec_path: str, seed: int) -> int:
    spec = load_round_spec(Path(spec_path))
    ctx = current()
    with ctx.db.unit_of_work() as session:
        return launch.launch(session, ctx, spec, seed).round_id


@flow(name="launch-round")
def launch_round(spec_path: str, seed: int = 0) -> int:
    """Create the round, its candidate slots and its invitations from a round spec (TOML)."""
    return launch_round_task(spec_path, seed)


@task
def find_uninvited(round_id: int) -> list[int]:
    with current().db.unit_of_work() as session:
        return invitations.pending(session, round_id)


@task
def queue_invitation_batch(invitation_ids: list[int]) -> int:
    ctx = current()
    with ctx.db.unit_of_work() as session:
        return invitations.queue_batch(session, ctx, invitation_ids)


@task(retries=3, retry_delay_seconds=[5, 30, 120])
async def send_outbox() -> dict[str, int]:
    """Send every due message. Retrying is safe: sent rows are never claimed again."""
    return outbox.figures(await outbox.send(current()))


@flow(name="send-invitations")
async def send_invitations(round_id: int) -> dict[str, int]:
    """Write an invitation email for each invitation that has none, then send the outbox."""
    ids = find_uninvited(round_id)
    batches = chunks(ids, current().settings.batch_size)
    queued = sum(queue_invitation_batch(batch) for batch in batches)
    return {"queued": queued, **(await send_outbox())}


@task
def find_reminders_due(round_id: int, now: datetime) -> dict[reminders.Kind, list[int]]:
    with current().db.unit_of_work() as session:
        return reminders.due(session, round_id, now)


@task
def queue_reminder_batch(invitation_ids: list[int], now: datetime, kind: reminders.Kind) -> int:
    ctx = current()
    with ctx.db.unit_of_work() as session:
        return reminders.queue_batch(session, ctx, invitation_ids, now, kind)


@flow(name="send-reminders")
async def send_reminders(round_id: int, now: datetime | None = None) -> dict[str, int]:
    """Remind invitees who have not answered, and people taking part who have not handed in
    input, at the moments the round spec sets before each deadline."""
    moment = now or utcnow()
    batch = current().settings.batch_size
    due = find_reminders_due(round_id, moment)
    queued = sum(
        queue_reminder_batch(chunk, moment, kind)
        for kind, ids in due.items()
        for chunk in chunks(ids, batch)
    )
    return {"queued": queued, **(await send_outbox())}


@task
def schedule_task(round_id: int, now: datetime) -> dict[str, int]:
    ctx = current()
    with ctx.db.unit_of_work() as session:
        return scheduling.schedule(session, ctx, round_id, now).summary()


@flow(name="schedule-sessions")
def schedule_sessions(round_id: int, now: datetime | None = None) -> dict[str, int]:
    """Place accepted invitees into theme sessions with the optimiser; after a late decline, a
    cancelled slot or a late acceptance, re-plan and change as little as possible."""
    return schedule_task(round_id, now or utcnow())


@task
def find_sessions(round_id: int) -> list[int]:
    with current().db.unit_of_work() as session:
        return calendar.sessions(session, round_id)


@task
def queue_calendar_batch(session_ids: list[int]) -> int:
    ctx = current()
    with ctx.db.unit_of_work() as session:
        return calendar.queue_batch(session, ctx, session_ids, utcnow())


@flow(name="send-calendar-invites")
async def send_calendar_invites(round_id: int) -> dict[str, int]:
    """Write an iTIP REQUEST for each attendee lacking one for the session's current SEQUENCE."""
    ids = find_sessions(round_id)
    queued = sum(queue_calendar_batch(batch) for batch in chunks(ids, SESSIONS_PER_BATCH))
    return {"queued": queued, **(await send_outbox())}


@task
def collect_input_task(round_id: int, path: str) -> dict[str, Any]:
    ctx = current()
    with ctx.db.unit_of_work() as session:
        return contributions.collect_file(session, ctx, round_id, Path(path))


@flow(name="collect-input")
def collect_input(round_id: int, path: str) -> dict[str, Any]:
    """Store contributions from a CSV or JSON-lines file; bad rows are reported, not stored."""
    return collect_input_task(round_id, path)


@task
def synthesise_task(round_id: int) -> dict[str, int]:
    ctx = current()
    with ctx.db.unit_of_work() as session:
        result = synthesis.synthesise(session, ctx, round_id)
    with ctx.db.unit_of_work() as session:
        slug, markdown = synthesis.overview(session, ctx, round_id, utcnow())
    create_markdown_artifact(
        markdown,
        key=f"synthesis-{slug}",
        description=_("Building blocks per theme with their support"),
    )
    return {"blocks": result.blocks, "assigned": result.assigned, "unassigned": result.unassigned}


@flow(name="synthesise-round")
def synthesise_round(round_id: int) -> dict[str, int]:
    """Group the round's contributions per theme into draft building blocks."""
    return synthesise_task(round_id)


@task
def compile_report_task(
    round_id: int, language: str, include_drafts: bool, now: datetime | None = None
) -> dict[str, str]:
    ctx = current()
    with ctx.db.unit_of_work() as session:
        moment = now or utcnow()
        try:
            return reports.compile_report(session, ctx, round_id, language, moment, include_drafts)
        except reports.NothingToReport as exc:
            # Not a failure to retry: there is nothing to report yet, and it says so.
            return {"nothing_to_report": str(exc)}


@flow(name="compile-report")
def compile_report(
    round_id: int, language: str = "nl", include_drafts: bool = False, now: datetime | None = None
) -> dict[str, str]:
    """Write the building-block report for a round (HTML, Markdown, Word, JSON and a coverage
    chart per theme): approved blocks, and drafts if asked. `now`: the tick's clock, from which
    the round's retention period runs."""
    return compile_report_task(round_id, language, include_drafts, now)


@task(retries=2, retry_delay_seconds=[30, 120])
def poll_replies_task() -> dict[str, int]:
    ctx = current()
    imap = ctx.settings.imap
    if imap is None:
        return {"messages": 0}
    counts = replies.poll(ctx, imap, utcnow(), prefect_emitter)
    return {
        "messages": counts.messages,
        "applied": counts.applied,
        "set_aside": counts.set_aside,
        "failed": counts.failed,
    }


@flow(name="poll-calendar-replies")
def poll_calendar_replies() -> dict[str, int]:
    """Read new calendar replies from the secretariat's mailbox and apply the valid ones."""
    return poll_replies_task()


# Every round flow refreshes its round's status artifact when it ends (consult/flows/status.py).
publish_status_after(
    launch_round,
    send_invitations,
    send_reminders,
    schedule_sessions,
    send_calendar_invites,
    collect_input,
    synthesise_round,
    compile_report,
)
