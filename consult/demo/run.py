"""Run a whole round in a fresh workspace: registry, launch, invite, answer, schedule,
calendar invites, input, synthesis and report. Every stage goes through the same flows and
services the secretariat uses; only the invitees are simulated."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from consult.demo.registry_gen import generate_registry, load_demo_config, write_registry_csv
from consult.demo.round_spec import build_spec_toml, load_demo_round
from consult.demo.simulate import load_corpus, simulate_answers, write_input_file
from consult.registry.parsing import read_registry
from consult.registry.store import store_rows, sync_reference_data
from consult.settings import CONFIG_ENV, PROJECT_ROOT, load_settings
from consult.wiring import open_app
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
                f"{workspace} bestaat al en is geen demo-werkmap; kies een andere met --workspace"
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


def run_demo(
    workspace: Path, smtp_host: str, smtp_port: int, seed: int, progress: Progress
) -> DemoResult:
    """The caller has prepared the workspace and runs (or points at) the SMTP server."""
    # Imported here: importing Prefect reads its settings, which the CLI adjusts first.
    from flows import round_cycle

    config_path = write_config(workspace, smtp_host, smtp_port)
    os.environ[CONFIG_ENV] = str(config_path)
    settings = load_settings()
    result = DemoResult(workspace=workspace, mail_dir=workspace / "mail")

    def stage(name: str, figures: dict[str, Any]) -> None:
        result.stages[name] = figures
        progress(name, figures)

    upgrade(settings.database_url)
    stage("database", {"url": settings.database_url})

    with open_app(settings) as app:
        rows = generate_registry(load_demo_config(settings.config_dir), seed)
        registry_csv = workspace / "registry.csv"
        write_registry_csv(rows, registry_csv)
        parsed = read_registry(
            registry_csv, sectors=app.taxonomy.sector_codes, regions=app.taxonomy.region_names
        )
        with app.db.unit_of_work() as session:
            sync_reference_data(session, app.taxonomy)
            counts = store_rows(session, parsed.rows)
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
        round_id = round_cycle.launch_round(str(spec_path), seed=seed)
        stage("launch", {"round_id": round_id})

        stage("invitations", asyncio.run(round_cycle.send_invitations(round_id)))

        with app.db.unit_of_work() as session:
            answers = simulate_answers(session, round_id, datetime.now(UTC), seed)
        stage(
            "answers",
            {
                "accepted": answers.accepted,
                "declined": answers.declined,
                "no_answer": answers.silent,
                "slots_ticked": answers.slots_ticked,
            },
        )

        stage("schedule", round_cycle.schedule_sessions(round_id))
        stage("calendar", asyncio.run(round_cycle.send_calendar_invites(round_id)))

        input_path = workspace / "input.csv"
        with app.db.unit_of_work() as session:
            write_input_file(session, round_id, load_corpus(settings.config_dir), input_path, seed)
        collected = round_cycle.collect_input(round_id, str(input_path))
        stage("input", {"stored": collected["stored"], "errors": len(collected["errors"])})

        stage("synthesis", round_cycle.synthesise_round(round_id))
        result.report_files = round_cycle.compile_report(round_id, include_drafts=True)
        stage("report", {"folder": str(Path(result.report_files["html"]).parent)})
    return result
