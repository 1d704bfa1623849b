"""The flows of a consultation round. Thin: they take ids, open a unit of work, call a service.

Work is batched (one task per batch of `settings.batch_size` rows) so a large round makes tens
of task runs, not thousands. Every flow is safe to re-run: the services do only what is missing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact

from consult.calendar.invites import queue_calendar_invites, session_ids_needing_invites
from consult.calendar.poller import poll_once
from consult.contributions.intake import read_contributions, store_contributions
from consult.events import prefect_emitter
from consult.mail.outbox import send_due
from consult.registry.store import sync_reference_data
from consult.reports.content import gather
from consult.reports.render import write_report
from consult.rounds.invite import pending_invitation_ids, queue_invitations
from consult.rounds.launch import launch_round as launch_round_service
from consult.rounds.reminders import (
    due_input_reminder_ids,
    due_invitation_ids,
    queue_input_reminders,
    queue_reminders,
)
from consult.rounds.spec import load_round_spec
from consult.scheduling.service import schedule_round
from consult.synthesis.embeddings import load_embedder
from consult.synthesis.overview import blocks_markdown
from consult.synthesis.service import synthesise
from consult.wiring import open_app
from flows.status import publish_status_after
from models import BlockStatus, Round, RoundStatus

T = TypeVar("T")


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _now() -> datetime:
    return datetime.now(UTC)


@task
def launch_round_task(spec_path: str, seed: int) -> int:
    spec = load_round_spec(Path(spec_path))
    with open_app() as app, app.db.unit_of_work() as session:
        sync_reference_data(session, app.taxonomy)
        organiser = app.settings.organiser
        result = launch_round_service(session, spec, organiser.name, organiser.email, seed=seed)
        return result.round_id


@flow(name="launch-round")
def launch_round(spec_path: str, seed: int = 0) -> int:
    """Create the round, its candidate slots and its invitations from a round spec (TOML)."""
    return launch_round_task(spec_path, seed)


@task
def find_uninvited(round_id: int) -> list[int]:
    with open_app() as app, app.db.unit_of_work() as session:
        return pending_invitation_ids(session, round_id)


@task
def queue_invitation_batch(invitation_ids: list[int]) -> int:
    with open_app() as app, app.db.unit_of_work() as session:
        return queue_invitations(session, app.mail_context(), invitation_ids)


@task(retries=3, retry_delay_seconds=[5, 30, 120])
async def send_outbox() -> dict[str, int]:
    """Send every due message. Retrying is safe: sent rows are never claimed again."""
    with open_app() as app:
        settings = app.settings
        counts = await send_due(app.db, settings.smtp, settings.organiser)
        return {"sent": counts.sent, "failed": counts.failed, "retry_later": counts.retry_later}


@flow(name="send-invitations")
async def send_invitations(round_id: int) -> dict[str, int]:
    """Write an invitation email for each invitation that has none, then send the outbox."""
    with open_app() as app:
        batch = app.settings.batch_size
    ids = find_uninvited(round_id)
    queued = sum(queue_invitation_batch(list(chunk)) for chunk in chunks(ids, batch))
    return {"queued": queued, **(await send_outbox())}


@task
def find_reminders_due(round_id: int, now: datetime) -> dict[str, list[int]]:
    with open_app() as app, app.db.unit_of_work() as session:
        return {
            "answer": due_invitation_ids(session, round_id, now),
            "input": due_input_reminder_ids(session, round_id, now),
        }


@task
def queue_reminder_batch(invitation_ids: list[int], now: datetime, kind: str) -> int:
    queue = queue_input_reminders if kind == "input" else queue_reminders
    with open_app() as app, app.db.unit_of_work() as session:
        return queue(session, app.mail_context(), invitation_ids, now)


@flow(name="send-reminders")
async def send_reminders(round_id: int, now: datetime | None = None) -> dict[str, int]:
    """Remind invitees who have not answered, and people taking part who have not handed in
    input, at the moments the round spec sets before each deadline."""
    moment = now or _now()
    with open_app() as app:
        batch = app.settings.batch_size
    due = find_reminders_due(round_id, moment)
    queued = sum(
        queue_reminder_batch(list(chunk), moment, kind)
        for kind, ids in due.items()
        for chunk in chunks(ids, batch)
    )
    return {"queued": queued, **(await send_outbox())}


@task
def schedule_task(round_id: int, now: datetime) -> dict[str, int]:
    with open_app() as app, app.db.unit_of_work() as session:
        domain = app.mail_context().domain
        return schedule_round(session, round_id, app.taxonomy, domain, now).summary()


@flow(name="schedule-sessions")
def schedule_sessions(round_id: int, now: datetime | None = None) -> dict[str, int]:
    """Place accepted invitees into theme sessions with the optimiser; after a late decline, a
    cancelled slot or a late acceptance, re-plan and change as little as possible."""
    return schedule_task(round_id, now or _now())


@task
def find_sessions(round_id: int) -> list[int]:
    with open_app() as app, app.db.unit_of_work() as session:
        return session_ids_needing_invites(session, round_id)


@task
def queue_calendar_batch(session_ids: list[int]) -> int:
    with open_app() as app, app.db.unit_of_work() as session:
        return queue_calendar_invites(session, app.mail_context(), session_ids, _now())


@flow(name="send-calendar-invites")
async def send_calendar_invites(round_id: int) -> dict[str, int]:
    """Write an iTIP REQUEST for each attendee lacking one for the session's current SEQUENCE."""
    ids = find_sessions(round_id)
    # Sessions hold a handful of people; a few dozen sessions make one batch of hundreds of mails.
    queued = sum(queue_calendar_batch(list(chunk)) for chunk in chunks(ids, 25))
    return {"queued": queued, **(await send_outbox())}


@task
def collect_input_task(round_id: int, path: str) -> dict[str, Any]:
    with open_app() as app:
        themes = [t.slug for t in app.taxonomy.themes]
        parsed = read_contributions(Path(path), themes)
        with app.db.unit_of_work() as session:
            stored = store_contributions(session, round_id, parsed.rows)
            rnd = session.get_one(Round, round_id)
            if rnd.status in (RoundStatus.INVITING, RoundStatus.SCHEDULED):
                rnd.status = RoundStatus.COLLECTING
        errors = sorted(parsed.errors + stored.errors, key=lambda e: (e.row, e.column))
        return {
            "stored": stored.stored,
            "already_present": stored.already_present,
            "errors": [{"row": e.row, "column": e.column, "reason": e.reason} for e in errors],
        }


@flow(name="collect-input")
def collect_input(round_id: int, path: str) -> dict[str, Any]:
    """Store contributions from a CSV or JSON-lines file; bad rows are reported, not stored."""
    return collect_input_task(round_id, path)


@task
def synthesise_task(round_id: int) -> dict[str, int]:
    with open_app() as app:
        synthesis = app.settings.synthesis
        embedder = load_embedder(synthesis.embedding_backend, synthesis.embedding_batch_size)
        with app.db.unit_of_work() as session:
            result = synthesise(session, round_id, embedder)
        with app.db.unit_of_work() as session:
            statuses = (BlockStatus.DRAFT, BlockStatus.APPROVED)
            report = gather(session, round_id, app.taxonomy, "nl", _now(), statuses)
        create_markdown_artifact(
            blocks_markdown(report),
            key=f"synthesis-{report.round_slug}",
            description="Bouwstenen per thema met hun draagvlak",
        )
        return {
            "blocks": result.blocks,
            "assigned": result.assigned,
            "unassigned": result.unassigned,
        }


@flow(name="synthesise-round")
def synthesise_round(round_id: int) -> dict[str, int]:
    """Group the round's contributions per theme into draft building blocks."""
    return synthesise_task(round_id)


@task
def compile_report_task(round_id: int, language: str, include_drafts: bool) -> dict[str, str]:
    statuses = [BlockStatus.APPROVED, *([BlockStatus.DRAFT] if include_drafts else [])]
    with open_app() as app, app.db.unit_of_work() as session:
        report = gather(session, round_id, app.taxonomy, language, _now(), statuses)
        directory = app.settings.reports_dir / report.round_slug
        files = write_report(app.env, report, directory)
        rnd = session.get_one(Round, round_id)
        rnd.status = RoundStatus.REPORTED
        return {
            "html": str(files.html),
            "markdown": str(files.markdown),
            "docx": str(files.docx),
            "json": str(files.json),
        }


@flow(name="compile-report")
def compile_report(
    round_id: int, language: str = "nl", include_drafts: bool = False
) -> dict[str, str]:
    """Write the building-block report for a round (HTML, Markdown, Word, JSON and a coverage
    chart per theme): approved blocks, and drafts if asked."""
    return compile_report_task(round_id, language, include_drafts)


@task(retries=2, retry_delay_seconds=[30, 120])
def poll_replies_task() -> dict[str, int]:
    with open_app() as app:
        imap = app.settings.imap
        if imap is None:
            return {"messages": 0}
        counts = poll_once(app.db, imap, _now(), emitter=prefect_emitter)
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


# Every round flow refreshes its round's status artifact when it ends (flows/status.py).
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
