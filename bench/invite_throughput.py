"""Invitation throughput: invitees through the real sending path, next to the raw limit and
next to one Prefect task per message; print one JSON object.

    uv run python bench/invite_throughput.py [--invitees 5000] [--connections 4]
        [--task-messages 500] [--database-url postgresql://postgres@127.0.0.1:5432/test]
        [--server auto|smtp-sink|aiosmtpd]

All three measurements run in this one process against the same SMTP server on 127.0.0.1:

- real path (messages_per_s): a fresh database (SQLite in a temp dir, or a throw-away schema
  on the PostgreSQL given with --database-url) with the people and a launched round made
  beforehand (not timed); then the bodies of the send-invitations flow's tasks, called without
  Prefect: pending invitations, queue_invitations per settings.batch_size in a unit of work
  (render text + HTML, mint a token, enqueue), then send_due (claim, build MIME, send over
  `connections` reused aiosmtplib connections, record outcomes). Timed from the start of
  queueing until every row is marked sent.
- raw limit (raw_messages_per_s): the same messages rendered with render_email, built with
  build_message, prepared (flattened to bytes) and sent with deliver over the same number of
  connections, smtp.batch_size at a time as send_due does; no database, no Prefect. Timed from
  the first render to the last reply.
- one task per message (task_per_message_per_s): a Prefect flow (prefect_test_harness) that
  maps one task per message over a thread pool as wide as `connections`; each task renders,
  builds and sends its message over a connection of its own. Only the flow run is timed.

The server is Postfix's smtp-sink, which throws mail away and counts it (-c); every phase
checks the server's count and each client-side result, and exits non-zero if a message is
missing. smtp-sink comes with the postfix package; on Debian/Ubuntu, without letting it set up
a mail system:

    echo "postfix postfix/main_mailer_type select No configuration" | sudo debconf-set-selections
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y postfix   # gives /usr/sbin/smtp-sink

Without it the script falls back to a counting aiosmtpd server in a thread of this process and
says so in "server"; that server competes with the client for the interpreter, so all rates
come out lower and the ratios less telling.

Keys: messages, messages_per_s, raw_messages_per_s, task_messages, task_per_message_per_s,
ratio_raw, ratio_task_per_message, peak_rss_mb (this process), real_path_peak_rss_mb,
seconds, connections, server, database, notes.
Targets (issue 4): ratio_raw >= 0.7, ratio_task_per_message >= 5, peak_rss_mb <= 500.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, cast

from aiosmtpd.controller import Controller
from jinja2 import Environment
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, joinedload

from consult.demo.registry_gen import generate_registry, load_demo_config
from consult.i18n import format_datetime
from consult.mail.mime import OutgoingMail, build_message, make_message_id
from consult.mail.sink import free_port
from consult.mail.smtp import PreparedMessage, deliver, prepare
from consult.registry.parsing import RegistryRow
from consult.registry.store import store_rows, sync_reference_data
from consult.rounds.invite import invitation_key
from consult.rounds.launch import launch_round
from consult.settings import CONFIG_ENV, PROJECT_ROOT, Organiser, Settings, load_settings
from consult.spec import RoundSpec, SlotSpec, ThemeSpec
from consult.taxonomy import load_taxonomy
from consult.templating import make_environment, render_email
from consult.tokens import new_token
from models import Invitation, OutboxMessage, OutboxStatus, Theme
from models.db import Database
from models.migrate import upgrade

SMTP_SINK = "smtp-sink"
# smtp-sink lives in /usr/sbin, which is often not on an ordinary user's PATH.
SMTP_SINK_PLACES = ("/usr/sbin/smtp-sink", "/usr/local/sbin/smtp-sink")


# --- the SMTP server -------------------------------------------------------------------------


class CountingServer(Protocol):
    name: str
    port: int

    def received(self) -> int: ...

    def stop(self) -> None: ...


def find_smtp_sink() -> str | None:
    found = shutil.which(SMTP_SINK)
    if found:
        return found
    return next((p for p in SMTP_SINK_PLACES if os.access(p, os.X_OK)), None)


def wait_for_port(port: int, timeout_s: float, alive: Callable[[], bool] | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        if alive is not None and not alive():
            raise RuntimeError("the SMTP server exited before it answered")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as probe:
                probe.recv(1)  # the greeting: the server is accepting, not just listening
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing answers on 127.0.0.1:{port}") from None
            time.sleep(0.05)


class SmtpSink:
    """Postfix's smtp-sink as a child process; its -c counters are read from its stdout."""

    name = "smtp-sink"

    def __init__(self, executable: str, connections: int) -> None:
        self.port = free_port()
        command = [executable, "-c"]
        if os.geteuid() == 0:
            # smtp-sink will not run as root: -u drops to this user once its socket is open.
            command += ["-u", "nobody"]
        # -m: more simultaneous sessions than any phase opens; no -d/-D, so nothing is written
        # to disk and the server costs next to nothing per message. 1000 is the listen backlog.
        command += ["-m", str(max(256, connections * 4)), f"127.0.0.1:{self.port}", "1000"]
        self._process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._messages = 0
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read_counters, daemon=True)
        self._reader.start()
        try:
            wait_for_port(self.port, 10.0, alive=lambda: self._process.poll() is None)
        except Exception:
            self.stop()
            raise

    def _read_counters(self) -> None:
        # -c rewrites one status line ("sess=N quit=N mesg=N\r") whenever a message ends.
        assert self._process.stdout is not None
        tail = b""
        while chunk := os.read(self._process.stdout.fileno(), 65536):
            tail = (tail + chunk)[-256:]
            counts = re.findall(rb"mesg=(\d+)", tail)
            if counts:
                with self._lock:
                    self._messages = max(self._messages, int(counts[-1]))

    def received(self) -> int:
        with self._lock:
            return self._messages

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._reader.join(2)


class _CountingHandler:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        # Runs on the controller's one event loop thread, so the increment needs no lock.
        self.count += 1
        return "250 OK"


class AiosmtpdCounter:
    """Fallback when smtp-sink is missing: aiosmtpd in a thread, counting and dropping mail."""

    def __init__(self, why: str) -> None:
        self.name = f"aiosmtpd ({why})"
        self.port = free_port()
        self._handler = _CountingHandler()
        self._controller = Controller(self._handler, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def received(self) -> int:
        return self._handler.count

    def stop(self) -> None:
        self._controller.stop()


def start_server(choice: str, connections: int) -> CountingServer:
    if choice == "aiosmtpd":
        return AiosmtpdCounter("chosen with --server")
    executable = find_smtp_sink()
    if executable is None:
        if choice == "smtp-sink":
            raise SystemExit("smtp-sink not found; install postfix (see this script's docstring)")
        print("smtp-sink not found: falling back to aiosmtpd in this process", file=sys.stderr)
        return AiosmtpdCounter("smtp-sink not found")
    return SmtpSink(executable, connections)


def expect_received(server: CountingServer, before: int, expected: int, phase: str) -> None:
    """Fail loudly unless the server counted exactly `expected` new messages."""
    deadline = time.monotonic() + 5.0
    # The counter is read from another process's output, so give it a moment to catch up.
    while server.received() - before < expected and time.monotonic() < deadline:
        time.sleep(0.02)
    got = server.received() - before
    if got != expected:
        raise SystemExit(f"{phase}: the server received {got} messages, expected {expected}")


# --- the database ----------------------------------------------------------------------------


@contextmanager
def bench_database(url: str | None, workdir: Path) -> Iterator[str]:
    """A fresh migrated database: SQLite in `workdir`, or a throw-away PostgreSQL schema."""
    if url is None:
        sqlite_url = f"sqlite:///{workdir / 'consult.db'}"
        upgrade(sqlite_url)
        yield sqlite_url
        return
    base = make_url(url)
    if base.get_backend_name() != "postgresql":
        raise SystemExit("--database-url must be a PostgreSQL URL (SQLite is the default)")
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base.set(drivername="postgresql+psycopg"))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    scoped = (
        base.set(drivername="postgresql+psycopg")
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )
    try:
        upgrade(scoped)
        yield scoped
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def registry_rows(settings: Settings, count: int) -> list[RegistryRow]:
    """`count` people from the seeded demo registry generator, repeated with fresh seeds and
    made unique by email, so names, sectors, regions and languages look like the demo's."""
    config = load_demo_config(settings.config_dir)
    rows: list[RegistryRow] = []
    seen: set[str] = set()
    for seed in itertools.count():
        for generated in generate_registry(config, seed):
            local, _, domain = generated["email"].partition("@")
            email = generated["email"]
            suffix = seed
            while email in seen:
                suffix += 1
                email = f"{local}.{suffix}@{domain}"
            seen.add(email)
            rows.append(
                RegistryRow(
                    row=len(rows) + 2,
                    organisation=generated["organisation"],
                    sector=generated["sector"],
                    region=generated["region"],
                    name=generated["name"],
                    email=email,
                    role=generated["role"],
                    language=generated["language"],
                )
            )
            if len(rows) == count:
                return rows
    raise AssertionError("unreachable")


def launch(settings: Settings, db: Database, invitees: int) -> int:
    """Registry of `invitees` people and a round that invites every one of them."""
    taxonomy = load_taxonomy(settings.config_dir)
    themes = [t.slug for t in taxonomy.themes]
    start = datetime(2030, 3, 4, 10, 0, tzinfo=UTC)
    spec = RoundSpec(
        slug="bench-invite-throughput",
        name="Benchmark ronde",
        answer_deadline=datetime(2030, 2, 20, 17, 0, tzinfo=UTC),
        input_deadline=datetime(2030, 3, 20, 17, 0, tzinfo=UTC),
        invitees_per_theme=-(-invitees // len(themes)),
        themes=[
            ThemeSpec(slug=slug, slots=[SlotSpec(start=start, end=start.replace(hour=11))])
            for slug in themes
        ],
    )
    with db.unit_of_work() as session:
        sync_reference_data(session, taxonomy)
        store_rows(session, registry_rows(settings, invitees))
        organiser = settings.organiser
        result = launch_round(session, spec, organiser.name, organiser.email)
    if result.invitations_total != invitees:
        raise SystemExit(f"launch made {result.invitations_total} invitations, not {invitees}")
    return result.round_id


# --- the messages, without a database --------------------------------------------------------


@dataclass(frozen=True)
class Invitee:
    """What rendering one invitation needs, read once from the database before any timing."""

    key: str
    email: str
    name: str
    language: str
    context: dict[str, Any]  # everything except answer_deadline and answer_url
    deadline: datetime


def load_invitees(session: Session, round_id: int, organiser: Organiser) -> list[Invitee]:
    # The same values queue_invitations puts into the template context.
    themes = {t.slug: t for t in session.scalars(select(Theme))}
    invitations = session.scalars(
        select(Invitation)
        .where(Invitation.round_id == round_id)
        .options(joinedload(Invitation.person), joinedload(Invitation.round))
        .order_by(Invitation.id)
    ).all()
    invitees = []
    for invitation in invitations:
        person, rnd = invitation.person, invitation.round
        theme = themes[invitation.theme_preferences[0]]
        lang = person.language
        invitees.append(
            Invitee(
                key=invitation_key(invitation.id),
                email=person.email,
                name=person.name,
                language=lang,
                context={
                    "person_name": person.name,
                    "round_name": rnd.name,
                    "theme_title": theme.title(lang),
                    "questions": theme.questions(lang),
                    "organiser_name": organiser.name,
                },
                deadline=rnd.answer_deadline,
            )
        )
    return invitees


def compose(
    env: Environment, settings: Settings, invitee: Invitee, now: datetime
) -> PreparedMessage:
    """Render, build and prepare one invitation exactly as queue_invitations and send_due do."""
    context = invitee.context | {
        "answer_deadline": format_datetime(invitee.deadline, invitee.language),
        # A token like mint_link's, but nothing is stored.
        "answer_url": f"{settings.base_url}/i/{new_token()}",
    }
    rendered = render_email(env, "invitation", invitee.language, context)
    domain = settings.organiser.email.rpartition("@")[2]
    mail = OutgoingMail(
        message_id=make_message_id(domain, invitee.key),
        recipient_email=invitee.email,
        recipient_name=invitee.name,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
    )
    return prepare(build_message(mail, settings.organiser, date=now))


# --- the three measurements ------------------------------------------------------------------


def real_path(settings: Settings, round_id: int, invitees: int) -> float:
    """The send-invitations flow's task bodies, in the flow's order, without Prefect."""
    from consult.flows.round_cycle import (
        chunks,
        find_uninvited,
        queue_invitation_batch,
        send_outbox,
    )

    started = time.perf_counter()
    ids = find_uninvited.fn(round_id)
    queued = sum(
        queue_invitation_batch.fn(list(chunk)) for chunk in chunks(ids, settings.batch_size)
    )
    counts = asyncio.run(send_outbox.fn())
    elapsed = time.perf_counter() - started
    if queued != invitees or counts["sent"] != invitees or counts["failed"]:
        raise SystemExit(f"real path: queued {queued}, outcomes {counts}; expected {invitees}")
    db = Database(settings.database_url)
    try:
        with db.unit_of_work() as session:
            sent = session.scalar(
                select(func.count(OutboxMessage.id)).where(
                    OutboxMessage.status == OutboxStatus.SENT
                )
            )
    finally:
        db.dispose()
    if sent != invitees:
        raise SystemExit(f"real path: {sent} outbox rows marked sent, expected {invitees}")
    return elapsed


def raw_loop(settings: Settings, invitees: Sequence[Invitee]) -> float:
    """Render, build and send in chunks of smtp.batch_size, the batches send_due sends: holding
    all 5,000 built messages at once would take over 500 MB and say nothing about the product."""
    env = make_environment(settings.templates_dir)
    size = settings.smtp.batch_size

    async def send_all() -> list[str]:
        now = datetime.now(UTC)
        failed = []
        for start in range(0, len(invitees), size):
            chunk = invitees[start : start + size]
            messages = [(invitee.key, compose(env, settings, invitee, now)) for invitee in chunk]
            results = await deliver(messages, settings.smtp)
            failed += [key for key, result in results.items() if not result.ok]
        return failed

    started = time.perf_counter()
    failed = asyncio.run(send_all())
    elapsed = time.perf_counter() - started
    if failed:
        raise SystemExit(f"raw loop: {len(failed)} messages not accepted, e.g. {failed[0]}")
    return elapsed


@contextmanager
def quiet_test_server() -> Iterator[None]:
    """Start the Prefect test server with its logging at CRITICAL.

    When it is stopped it logs tracebacks for the event flushes and pool resets it cancels.
    The server subprocess reads these settings from the environment as it starts; this process
    configured its logging when Prefect was imported, so its own warnings still show. A task
    that really fails shows up anyway: every task's result is checked.
    """
    quiet = {"PREFECT_LOGGING_SERVER_LEVEL": "CRITICAL", "PREFECT_LOGGING_ROOT_LEVEL": "CRITICAL"}
    saved = {name: os.environ.get(name) for name in quiet}
    os.environ.update(quiet)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def task_per_message(settings: Settings, invitees: Sequence[Invitee]) -> float:
    from prefect import flow, task
    from prefect.futures import PrefectFuture
    from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
    from prefect.testing.utilities import prefect_test_harness

    env = make_environment(settings.templates_dir)
    # One connection per task: a task run is the unit of retry, so it cannot share a session.
    one_connection = settings.smtp.model_copy(update={"connections": 1})

    @task
    def send_one(index: int) -> bool:
        message = compose(env, settings, invitees[index], datetime.now(UTC))
        results = asyncio.run(deliver([(index, message)], one_connection))
        return results[index].ok

    # As many messages in flight as the other two measurements have connections.
    # The cast: flow() is typed for TaskRunner[PrefectFuture], which Prefect declares invariant.
    runner = cast(
        "TaskRunner[PrefectFuture[Any]]",
        ThreadPoolTaskRunner(max_workers=settings.smtp.connections),
    )

    @flow(name="bench-task-per-message", task_runner=runner)
    def send_each() -> int:
        return sum(send_one.map(range(len(invitees))).result())

    with quiet_test_server(), prefect_test_harness(server_startup_timeout=120):
        started = time.perf_counter()
        accepted = send_each()
        elapsed = time.perf_counter() - started
    if accepted != len(invitees):
        raise SystemExit(f"task per message: {accepted} of {len(invitees)} accepted")
    return elapsed


# --- main ------------------------------------------------------------------------------------


def write_config(workdir: Path, database_url: str, port: int, connections: int) -> Path:
    """The config file the flow's tasks read through CONSULT_CONFIG, as the demo writes it."""
    path = workdir / "consult.toml"
    path.write_text(
        "\n".join(
            [
                f"database_url = {json.dumps(database_url)}",
                f"config_dir = {json.dumps(str(PROJECT_ROOT / 'config'))}",
                f"templates_dir = {json.dumps(str(PROJECT_ROOT / 'templates'))}",
                f"reports_dir = {json.dumps(str(workdir / 'reports'))}",
                "",
                "[smtp]",
                'host = "127.0.0.1"',
                f"port = {port}",
                f"connections = {connections}",
                "",
                # Measured is sending; a mailing held for review would send nothing.
                "[mail]",
                "require_approval = false",
                "",
            ]
        ),
        encoding="utf-8",
    )
    return path


def peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--invitees", type=int, default=5000)
    parser.add_argument("--task-messages", type=int, default=500)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--database-url", default=None, help="PostgreSQL; default: SQLite")
    parser.add_argument("--server", choices=["auto", "smtp-sink", "aiosmtpd"], default="auto")
    args = parser.parse_args()
    # A plain `kill` then unwinds the ExitStack too, so smtp-sink and the temp dir go with us.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))

    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-invite-")))
        # Before Prefect is first imported: no telemetry, no chatter on stdout, and its
        # state in the temp dir instead of ~/.prefect.
        os.environ["PREFECT_HOME"] = str(workdir / "prefect")
        os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
        os.environ["PREFECT_LOGGING_LEVEL"] = "WARNING"

        server = start_server(args.server, args.connections)
        stack.callback(server.stop)
        database_url = stack.enter_context(bench_database(args.database_url, workdir))
        os.environ[CONFIG_ENV] = str(
            write_config(workdir, database_url, server.port, args.connections)
        )
        settings = load_settings()

        db = Database(database_url)
        try:
            round_id = launch(settings, db, args.invitees)
            with db.unit_of_work() as session:
                invitees = load_invitees(session, round_id, settings.organiser)
        finally:
            db.dispose()

        before = server.received()
        real_s = real_path(settings, round_id, args.invitees)
        expect_received(server, before, args.invitees, "real path")
        real_path_rss = peak_rss_mb()

        before = server.received()
        raw_s = raw_loop(settings, invitees)
        expect_received(server, before, len(invitees), "raw loop")

        task_invitees = invitees[: args.task_messages]
        before = server.received()
        task_s = task_per_message(settings, task_invitees)
        expect_received(server, before, len(task_invitees), "task per message")

        rate = args.invitees / real_s
        raw_rate = len(invitees) / raw_s
        task_rate = len(task_invitees) / task_s
        backend = make_url(database_url).get_backend_name()
        print(
            json.dumps(
                {
                    "messages": args.invitees,
                    "messages_per_s": round(rate, 1),
                    "raw_messages_per_s": round(raw_rate, 1),
                    "task_messages": len(task_invitees),
                    "task_per_message_per_s": round(task_rate, 1),
                    "ratio_raw": round(rate / raw_rate, 3),
                    "ratio_task_per_message": round(rate / task_rate, 2),
                    "peak_rss_mb": peak_rss_mb(),
                    "real_path_peak_rss_mb": real_path_rss,
                    "seconds": {
                        "real": round(real_s, 2),
                        "raw": round(raw_s, 2),
                        "task_per_message": round(task_s, 2),
                    },
                    "connections": args.connections,
                    "server": server.name,
                    "database": backend,
                    "notes": (
                        "real path = the send-invitations flow's task bodies (find_uninvited, "
                        "queue_invitation_batch per batch_size, send_outbox) called via .fn "
                        "without Prefect, so the flow's own overhead is not in it; "
                        "task_per_message measures Prefect per-task overhead separately "
                        f"({len(task_invitees)} task runs on a thread pool of "
                        f"{args.connections}, prefect_test_harness). Setup (registry, "
                        "launch) is not timed."
                    ),
                }
            )
        )


if __name__ == "__main__":
    main()
