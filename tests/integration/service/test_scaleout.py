"""Scale-out, as the README describes it: a Prefect server on PostgreSQL (a database of its own
on the local PostgreSQL), the app database on PostgreSQL, a process work pool and two workers.
`consult deploy` registers the flows; a round of 500 invitees runs through the deployments, and
one worker is killed while it sends the calendar invitations."""

from __future__ import annotations

import email
import email.policy
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from icalendar import Calendar
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from consult.demo.simulate import load_corpus, simulate_answers, write_input_file
from consult.mail.sink import EmlSink, free_port
from consult.registry.parsing import RegistryRow
from consult.registry.store import store_rows, sync_reference_data
from consult.serve import prefect_executable, wait_healthy
from consult.settings import CONFIG_ENV, PROJECT_ROOT, load_settings
from consult.synthesis import decisions
from consult.wiring import open_app
from models import (
    BuildingBlock,
    ConsultationSession,
    Contribution,
    Invitation,
    OutboxMessage,
    OutboxStatus,
    Round,
    RoundStatus,
    block_contribution,
)
from tests.integration.mail.outbox_support import write_consult_toml

pytestmark = [pytest.mark.scaleout, pytest.mark.slow]

AMS = ZoneInfo("Europe/Amsterdam")
INVITEES = 500
THEMES = ("onderwijsvernieuwing", "innovatie", "anders_besturen", "behoud_betrokkenheid")
SECTORS = ("vvt", "ghz", "ggz", "ziekenhuis", "mbo", "hbo", "gemeente", "zorgkantoor")
REGIONS = ("Achterhoek", "Twente", "Zwolle", "Stedenvierkant")
ANSWER_DEADLINE = datetime(2031, 3, 3, 17, 0, tzinfo=AMS)
INPUT_DEADLINE = datetime(2031, 4, 30, 17, 0, tzinfo=AMS)
POOL = "consult-scaleout"


def _spec_toml() -> str:
    lines = [
        'slug = "schaal-2031"',
        'name = "Consultatieronde schaaltest"',
        f"answer_deadline = {ANSWER_DEADLINE.replace(tzinfo=None).isoformat()}",
        f"input_deadline = {INPUT_DEADLINE.replace(tzinfo=None).isoformat()}",
        f"invitees_per_theme = {INVITEES // len(THEMES)}",
        "group_min = 4",
        "group_max = 10",
    ]
    for t, theme in enumerate(THEMES):
        lines += ["", "[[themes]]", f'slug = "{theme}"']
        for day in range(4):
            start = datetime(2031, 3, 10 + day + t, 10, 0)
            lines += [
                "[[themes.slots]]",
                f"start = {start.isoformat()}",
                f"end = {(start + timedelta(minutes=90)).isoformat()}",
            ]
    return "\n".join(lines) + "\n"


def _registry() -> list[RegistryRow]:
    return [
        RegistryRow(
            row=i + 2,
            organisation=f"Stichting {SECTORS[i % 8].title()} {REGIONS[i // 8 % 4]} {i // 32}",
            sector=SECTORS[i % 8],
            region=REGIONS[i // 8 % 4],
            name=f"Deelnemer {i:03d}",
            email=f"deelnemer{i:03d}@schaal.example",
            role="bestuurder",
            language="en" if i % 5 == 0 else "nl",
        )
        for i in range(INVITEES)
    ]


@pytest.fixture
def prefect_db() -> Iterator[str]:
    """A database of its own for the Prefect server, on the tests' PostgreSQL; dropped after."""
    base = os.environ.get("CONSULT_TEST_DATABASE_URL")
    if not base:
        pytest.fail("CONSULT_TEST_DATABASE_URL is not set")
    name = f"prefect_{uuid.uuid4().hex[:10]}"
    admin = create_engine(
        make_url(base).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield (
            make_url(base)
            .set(drivername="postgresql+asyncpg", database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class Cluster:
    """The Prefect server, the workers and their logs."""

    def __init__(self, tmp: Path, config: Path, prefect_db: str) -> None:
        self.tmp = tmp
        port = free_port()
        self.api = f"http://127.0.0.1:{port}/api"
        base = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CONSULT_"))}
        self.env = {
            **base,
            CONFIG_ENV: str(config),
            "PREFECT_API_URL": self.api,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_HOME": str(tmp / "prefect-client"),
            "PYTHONUNBUFFERED": "1",
        }
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        server_env = {
            **self.env,
            "PREFECT_HOME": str(tmp / "prefect-server"),
            "PREFECT_API_DATABASE_CONNECTION_URL": prefect_db,
            "PREFECT_UI_ENABLED": "false",
        }
        server_env.pop("PREFECT_API_URL")
        self._start(
            "server",
            [prefect_executable(), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            server_env,
        )
        wait_healthy(self.api, 120, self.procs["server"], tmp / "server.log")

    def _start(self, name: str, cmd: list[str], env: dict[str, str]) -> None:
        with (self.tmp / f"{name}.log").open("wb") as out:
            self.procs[name] = subprocess.Popen(
                cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def start_worker(self, name: str) -> None:
        env = {
            **self.env,
            "PREFECT_HOME": str(self.tmp / f"prefect-{name}"),
            "PREFECT_WORKER_QUERY_SECONDS": "1",
            "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "30",
            "PREFECT_LOGGING_LEVEL": "INFO",
        }
        cmd = [prefect_executable(), "worker", "start", "--pool", POOL, "--name", name]
        self._start(name, [*cmd, "--type", "process", "--limit", "1"], env)

    def kill(self, name: str) -> None:
        """SIGKILL the worker and the flow run it started, as a machine that dies would."""
        os.killpg(self.procs[name].pid, signal.SIGKILL)
        self.procs[name].wait()

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text(errors="replace")

    def runs_by(self, name: str) -> set[str]:
        return set(re.findall(r"submitting flow run '([0-9a-f-]{36})'", self.log(name)))

    # ---- deployments ---------------------------------------------------------------------

    def start_run(self, deployment: str, **parameters: Any) -> str:
        found = httpx.get(f"{self.api}/deployments/name/{deployment}/consult")
        found.raise_for_status()
        created = httpx.post(
            f"{self.api}/deployments/{found.json()['id']}/create_flow_run",
            json={"parameters": _jsonable(parameters)},
        )
        created.raise_for_status()
        run_id: str = created.json()["id"]
        return run_id

    def state(self, run_id: str) -> str:
        state: str = httpx.get(f"{self.api}/flow_runs/{run_id}").json()["state"]["type"]
        return state

    def wait(self, run_id: str, timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.state(run_id)
            if state == "COMPLETED":
                return
            if state in ("FAILED", "CRASHED", "CANCELLED"):
                pytest.fail(f"flow run {run_id} ended {state}:\n{self.logs_tail()}")
            time.sleep(0.5)
        pytest.fail(f"flow run {run_id} did not finish in {timeout} s:\n{self.logs_tail()}")

    def run(self, deployment: str, **parameters: Any) -> str:
        run_id = self.start_run(deployment, **parameters)
        self.wait(run_id)
        return run_id

    def logs_tail(self) -> str:
        return "\n".join(f"--- {n}\n{self.log(n)[-3000:]}" for n in self.procs)


def _jsonable(parameters: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in parameters.items()}


def _mail(directory: Path) -> list[email.message.EmailMessage]:
    out = []
    for path in sorted(directory.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        out.append(message)
    return out


def _calendar(message: email.message.EmailMessage) -> Calendar | None:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return Calendar.from_ical(payload)
    return None


def test_a_round_of_500_runs_through_two_workers_and_survives_losing_one(
    postgres_url: str, prefect_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with EmlSink(tmp_path / "mail") as sink:
        # Throttled so that sending takes a few seconds: long enough to kill a worker mid-way.
        # A short lease lets the survivor take over the dead worker's claimed messages soon.
        config = write_consult_toml(
            tmp_path,
            postgres_url,
            {
                "host": "127.0.0.1",
                "port": sink.port,
                "rate_per_minute": 4000,
                "lease_s": 5.0,
                "retry_wait_s": 10.0,
            },
        )
        # Flow runs beat every 30 s (Prefect's minimum); one silent for 45 s is marked crashed.
        with config.open("a", encoding="utf-8") as toml:
            toml.write("[service]\ncrash_after_s = 45.0\n")
        monkeypatch.setenv(CONFIG_ENV, str(config))
        settings = load_settings()
        with open_app(settings) as app, app.db.unit_of_work() as session:
            sync_reference_data(session, app.taxonomy)
            assert store_rows(session, _registry()).created == INVITEES
        spec = tmp_path / "round.toml"
        spec.write_text(_spec_toml(), encoding="utf-8")

        cluster = Cluster(tmp_path, config, prefect_db)
        try:
            _run_round(cluster, tmp_path, spec, sink)
        finally:
            cluster.stop()


def _run_round(cluster: Cluster, tmp_path: Path, spec: Path, sink: EmlSink) -> None:
    deployed = subprocess.run(
        [sys.executable, "-m", "consult", "deploy", "--pool", POOL],
        env=cluster.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    assert "service-tick/consult" in deployed.stdout
    cluster.start_worker("w1")
    cluster.start_worker("w2")

    # Launch, then invitations: two runs at once, so each worker (limit 1) takes one.
    cluster.run("launch-round", spec_path=str(spec))
    with open_app() as app, app.db.unit_of_work() as session:
        round_id = session.scalars(select(Round.id)).one()
        assert session.scalar(select(func.count(Invitation.id))) == INVITEES
    start = ANSWER_DEADLINE - timedelta(days=20)
    first = cluster.start_run("service-tick", now=start)
    second = cluster.start_run("send-outbox")
    cluster.wait(first)
    cluster.wait(second)
    assert cluster.runs_by("w1") and cluster.runs_by("w2"), cluster.logs_tail()

    # Invitees answer through the web app (simulated here in the database).
    with open_app() as app, app.db.unit_of_work() as session:
        answers = simulate_answers(session, round_id, start + timedelta(days=1), seed=5)
    assert answers.accepted > 250

    # The answer deadline passes. Kill the worker that sends the calendar invitations while
    # it sends; the other worker's next tick finishes the job.
    closed = ANSWER_DEADLINE + timedelta(minutes=1)
    tick = cluster.start_run("service-tick", now=closed)
    deadline = time.monotonic() + 180
    victim = None
    while time.monotonic() < deadline:
        mails = sink.directory.glob("*.eml")
        if sum(1 for p in mails if b"text/calendar" in p.read_bytes()) >= 40:
            victim = next(n for n in ("w1", "w2") if tick in cluster.runs_by(n))
            break
        assert cluster.state(tick) not in ("COMPLETED", "FAILED", "CRASHED"), cluster.logs_tail()
        time.sleep(0.2)
    assert victim is not None, cluster.logs_tail()
    cluster.kill(victim)
    survivor = "w2" if victim == "w1" else "w1"
    # Its heartbeat stops: the automation `consult deploy` created marks the run crashed,
    # which frees the tick's one-at-a-time slot. Nobody touches the run by hand.
    silent_until = time.monotonic() + 150
    while cluster.state(tick) != "CRASHED":
        assert time.monotonic() < silent_until, f"still {cluster.state(tick)}"
        time.sleep(2)
    # What the dead worker had claimed is free once its lease (5 s) has run out: by the time
    # the next tick's flow run has started.
    time.sleep(5)
    cluster.run("service-tick", now=closed)

    # Sessions end: lessons learned. Input arrives, the input deadline passes: synthesis.
    with open_app() as app, app.db.unit_of_work() as session:
        last_end = session.scalar(select(func.max(ConsultationSession.end)))
        assert last_end is not None
        input_file = tmp_path / "input.csv"
        write_input_file(session, round_id, load_corpus(app.settings.config_dir), input_file, 5)
    cluster.run("service-tick", now=last_end + timedelta(hours=2))
    cluster.run("collect-input", round_id=round_id, path=str(input_file))
    cluster.run("service-tick", now=INPUT_DEADLINE + timedelta(minutes=1))
    # Staff approve every block; the next tick writes the report, and then all is quiet.
    with open_app() as app, app.db.unit_of_work() as session:
        for block_id in session.scalars(select(BuildingBlock.id)):
            decisions.approve(session, block_id, "staf")
    cluster.run("service-tick", now=INPUT_DEADLINE + timedelta(days=1))
    assert cluster.runs_by(survivor)

    _check_round(round_id, sink.directory)


def _check_round(round_id: int, mail_dir: Path) -> None:
    with open_app() as app, app.db.unit_of_work() as session:
        rnd = session.get_one(Round, round_id)
        assert rnd.status == RoundStatus.REPORTED
        invited = set(
            session.scalars(
                select(OutboxMessage.recipient_email).where(OutboxMessage.kind == "invitation")
            )
        )
        unsent = session.scalar(
            select(func.count(OutboxMessage.id)).where(OutboxMessage.status != OutboxStatus.SENT)
        )
        contributions = set(
            session.scalars(select(Contribution.id).where(Contribution.draft.is_(False)))
        )
        placed = Counter(session.scalars(select(block_contribution.c.contribution_id)))
    assert len(invited) == INVITEES
    assert unsent == 0

    # Every invitee got exactly one invitation. A crash between the relay's "250 OK" and the
    # row being marked sent can resend it, with the same Message-ID (clients show it once).
    messages = _mail(mail_dir)
    invitations: dict[str, set[str]] = defaultdict(set)
    calendar: dict[tuple[str, str, int], set[str]] = defaultdict(set)
    for message in messages:
        recipient = message["To"].addresses[0].addr_spec.lower()
        ics = _calendar(message)
        if ics is None:
            if message["Subject"].startswith(("Uitnodiging", "Invitation")):
                invitations[recipient].add(message["Message-ID"])
            continue
        event = ics.walk("VEVENT")[0]
        change = (recipient, str(event["UID"]), int(event.get("SEQUENCE", 0)))
        calendar[change].add(message["Message-ID"])
    assert set(invitations) == invited
    assert all(len(ids) == 1 for ids in invitations.values())
    # At most one calendar message per attendee per session change (UID, SEQUENCE).
    assert calendar and all(len(ids) == 1 for ids in calendar.values())

    # Every contribution is in exactly one place: one block, or unassigned (in none).
    assert contributions
    assert all(n == 1 for n in placed.values())
    assert set(placed) <= contributions
    report = Path(load_settings().reports_dir) / "schaal-2031" / "report.nl.md"
    assert report.exists()
    assert PROJECT_ROOT.exists()
