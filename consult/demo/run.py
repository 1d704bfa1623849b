"""Run a whole round in a fresh workspace: registry, launch, invite, answer, schedule,
calendar invites, input, synthesis and report. Every stage goes through the same use cases
(consult.app) the secretariat's commands, the web app and the flows call; only the invitees are
simulated."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from consult.actors import acting_as
from consult.app import (
    calendar,
    contributions,
    invitations,
    launch,
    mailings,
    outbox,
    registry,
    reports,
    scheduling,
    synthesis,
)
from consult.app.context import current
from consult.demo.registry_gen import generate_registry, load_demo_config, write_registry_csv
from consult.demo.round_spec import build_spec_toml, load_demo_round
from consult.demo.simulate import load_corpus, simulate_answers, write_input_file
from consult.i18n import gettext as _
from consult.mail.outbox import SendCounts
from consult.settings import CONFIG_ENV, PROJECT_ROOT
from consult.spec import load_round_spec
from consult.wiring import App
from models import OutboxKind
from models.base import utcnow
from models.migrate import upgrade

MARKER = ".consult-demo"
GENERATED = (
    "consult.db",
    "consult.db-wal",
    "consult.db-shm",
    "mail",
    "reports",
    "registry.csv",
    "round.toml",
    "input.csv",
    "consult.toml",
)

Progress = Callable[[str, dict[str, Any]], None]


class WorkspaceError(RuntimeError):
    pass


@dataclass
class DemoResult:
    workspace: Path
    mail_dir: Path
    report_files: dict[str, str] = field(default_factory=dict)
    stages: dict[str, dict[str, Any]] = field(default_factory=dict)


def prepare_workspace(workspace: Path) -> None:
    """Empty a previous demo workspace; refuse to touch a folder the demo did not make."""
    if workspace.exists() and any(workspace.iterdir()):
        if not (workspace / MARKER).exists():
            raise WorkspaceError(
                _(
                    "%(folder)s exists already and is not a demo workspace; choose another one "
                    "with --workspace",
                    folder=workspace,
                )
            )
        for name in GENERATED:
            target = workspace / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / MARKER).write_text("made by consult demo\n", encoding="utf-8")


def write_config(workspace: Path, smtp_host: str, smtp_port: int) -> Path:
    path = workspace / "consult.toml"
    path.write_text(
        "\n".join(
            [
                "# Written by `consult demo`. Use it with CONSULT_CONFIG=" + str(path),
                f'database_url = "sqlite:///{workspace / "consult.db"}"',
                f'reports_dir = "{workspace / "reports"}"',
                f'config_dir = "{PROJECT_ROOT / "config"}"',
                f'templates_dir = "{PROJECT_ROOT / "templates"}"',
                "",
                "[smtp]",
                f'host = "{smtp_host}"',
                f"port = {smtp_port}",
                "",
            ]
        ),
        encoding="utf-8",
    )
    return path


def approve_and_send(app: App, round_id: int, kind: OutboxKind, counts: SendCounts) -> SendCounts:
    """The demo's secretariat approves a mailing held for review, as it would in the workplace
    after looking at the preview, and sends it; `counts` with what that sent added."""
    if not counts.held:
        return counts
    who = app.settings.organiser.email
    try:
        with acting_as(who), app.db.unit_of_work() as session:
            mailings.approve(session, round_id, kind, who)
    except mailings.NothingWaiting:
        return counts
    more = asyncio.run(outbox.send(app))
    return SendCounts(
        sent=counts.sent + more.sent,
        failed=counts.failed + more.failed,
        retry_later=more.retry_later,
        held=more.held,
        unreachable=more.unreachable,
    )


def run_demo(
    workspace: Path, smtp_host: str, smtp_port: int, seed: int, progress: Progress
) -> DemoResult:
    """The caller has prepared the workspace and runs (or points at) the SMTP server."""
    config_path = write_config(workspace, smtp_host, smtp_port)
    os.environ[CONFIG_ENV] = str(config_path)
    app = current()
    settings = app.settings
    result = DemoResult(workspace=workspace, mail_dir=workspace / "mail")

    def stage(name: str, figures: dict[str, Any]) -> None:
        result.stages[name] = figures
        progress(name, figures)

    upgrade(settings.database_url)
    stage("database", {"url": settings.database_url})

    rows = generate_registry(load_demo_config(settings.config_dir), seed)
    registry_csv = workspace / "registry.csv"
    write_registry_csv(rows, registry_csv)
    with app.db.unit_of_work() as session:
        parsed, counts = registry.import_file(session, app, registry_csv)
    organisations = len({(r["organisation"], r["region"]) for r in rows})
    stage(
        "registry",
        {
            "organisations": organisations,
            "people": counts.created,
            "rejected": len(parsed.rejected_rows()),
        },
    )

    spec_path = workspace / "round.toml"
    spec_path.write_text(
        build_spec_toml(
            load_demo_round(settings.config_dir),
            [t.slug for t in app.taxonomy.themes],
            date.today(),
        ),
        encoding="utf-8",
    )
    with app.db.unit_of_work() as session:
        round_id = launch.launch(session, app, load_round_spec(spec_path), seed).round_id
    stage("launch", {"round_id": round_id})

    queued, sent = asyncio.run(invitations.send_invitations(app, round_id))
    sent = approve_and_send(app, round_id, OutboxKind.INVITATION, sent)
    stage("invitations", outbox.figures(sent, queued))

    with app.db.unit_of_work() as session:
        answers = simulate_answers(session, round_id, utcnow(), seed)
    stage(
        "answers",
        {
            "accepted": answers.accepted,
            "declined": answers.declined,
            "no_answer": answers.silent,
            "slots_ticked": answers.slots_ticked,
        },
    )

    with app.db.unit_of_work() as session:
        stage("schedule", scheduling.schedule(session, app, round_id, utcnow()).summary())
    queued, sent = asyncio.run(calendar.send_calendar_invites(app, round_id, utcnow()))
    sent = approve_and_send(app, round_id, OutboxKind.CALENDAR_REQUEST, sent)
    stage("calendar", outbox.figures(sent, queued))

    input_path = workspace / "input.csv"
    with app.db.unit_of_work() as session:
        write_input_file(session, round_id, load_corpus(settings.config_dir), input_path, seed)
    with app.db.unit_of_work() as session:
        collected = contributions.collect_file(session, app, round_id, input_path)
    stage("input", {"stored": collected["stored"], "errors": len(collected["errors"])})

    with app.db.unit_of_work() as session:
        synthesised = synthesis.synthesise(session, app, round_id)
    stage(
        "synthesis",
        {
            "blocks": synthesised.blocks,
            "assigned": synthesised.assigned,
            "unassigned": synthesised.unassigned,
        },
    )
    with app.db.unit_of_work() as session:
        result.report_files = reports.compile_report(
            session, app, round_id, "nl", utcnow(), include_drafts=True
        )
    stage("report", {"folder": str(Path(result.report_files["html"]).parent)})
    return result
