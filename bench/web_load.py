"""Load on the invitee pages: wrk against `consult web` on 127.0.0.1, on SQLite and on
PostgreSQL; print one JSON object.

    uv run python bench/web_load.py [--invitations 200] [--seconds 10] [--connections 16]
        [--threads 2] [--sqlite-workers 1] [--pg-workers 2]
        [--database-url postgresql://postgres@127.0.0.1:5432/test] [--skip-pg]

For each database, in a fresh workspace (a SQLite file in a temp dir, or a throw-away schema on
the PostgreSQL in --database-url, else CONSULT_TEST_DATABASE_URL, else the one on
127.0.0.1:5432):

1. a registry and a launched round with `invitations` invitations; their emails are queued and
   sent into a local SMTP server (EmlSink), which gives the personal link tokens (not timed);
2. `consult web --workers N` starts on a free port, with a shared secret_key so every worker
   accepts every worker's forms; each invitation page is fetched once for its CSRF token;
3. answers: wrk POSTs "accept" with the page's CSRF token to /i/<token>/answer for `seconds`,
   spreading the requests over all invitations (each wrk thread starts at a different one, so
   no two connections hammer one row); 303 is the expected reply. Then, not timed, one more
   answer to every invitation, so that each has had one whatever the speed;
4. pages: wrk GETs /i/<token> over all invitations for `seconds`; 200 is the expected reply;
5. the server is stopped (its after-response mail goes out first) and the database checked:
   every invitation is accepted, and holds exactly one acceptance confirmation in the outbox:
   the first accept is the only real change, every later one must change nothing.

Latency comes from wrk's own histogram, read by the Lua script's done() hook. Keys:
answers_per_s, pages_per_s, p50_ms, p99_ms (of the answers), page_p50_ms, page_p99_ms, errors
(connect, read, write and timeout errors plus replies with an unexpected status, both phases
and the sweep),
answers_stored_exactly_once; the same prefixed with pg_ for PostgreSQL; then settings.
Targets (issue 12, 9): >= 300 answers/s and p99 < 100 ms on SQLite, >= 600 answers/s on
PostgreSQL with 2 workers, 0 errors, every answer stored once. wrk, the server, PostgreSQL and
this script share the machine's cores, so the figures depend on what else runs there.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# The sibling benchmark's throw-away PostgreSQL schema and unique registry rows (bench/ is on
# sys.path when a script in it runs).
from invite_throughput import bench_database, registry_rows
from sqlalchemy import func, select

from consult.mail.outbox import send_due, to_outgoing, with_links
from consult.mail.sink import EmlSink, free_port
from consult.registry.store import store_rows, sync_reference_data
from consult.rounds.invite import queue_invitations
from consult.rounds.launch import launch_round
from consult.settings import CONFIG_ENV, PROJECT_ROOT, load_settings
from consult.spec import RoundSpec, SlotSpec, ThemeSpec
from consult.wiring import App, open_app
from models import Invitation, InvitationStatus, OutboxKind, OutboxMessage

BASE_URL = "https://consult.example.org"
TOKEN_IN_LINK = re.compile(re.escape(BASE_URL) + r"/i/([A-Za-z0-9_-]+)")
CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
WRK_MARK = "WRK_JSON "

# --- the workspace ---------------------------------------------------------------------------


def write_config(workdir: Path, database_url: str, smtp_port: int) -> Path:
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
                f"port = {smtp_port}",
                "",
            ]
        ),
        encoding="utf-8",
    )
    return path


def launch(wired: App, invitations: int) -> int:
    """A round inviting `invitations` people, their invitation emails queued; its id."""
    themes = [t.slug for t in wired.taxonomy.themes]
    # Far in the future: the server runs on the real clock and must accept answers.
    start = datetime(2030, 3, 4, 10, 0, tzinfo=UTC)
    spec = RoundSpec(
        slug="bench-web-load",
        name="Benchmark ronde",
        answer_deadline=datetime(2030, 2, 20, 17, 0, tzinfo=UTC),
        input_deadline=datetime(2030, 3, 20, 17, 0, tzinfo=UTC),
        invitees_per_theme=-(-invitations // len(themes)),
        themes=[
            ThemeSpec(slug=slug, slots=[SlotSpec(start=start, end=start.replace(hour=11))])
            for slug in themes
        ],
    )
    with wired.db.unit_of_work() as session:
        sync_reference_data(session, wired.taxonomy)
        store_rows(session, registry_rows(wired.settings, invitations))
        organiser = wired.settings.organiser
        result = launch_round(session, spec, organiser.name, organiser.email)
        ids = list(
            session.scalars(select(Invitation.id).where(Invitation.round_id == result.round_id))
        )
        queue_invitations(session, wired.mail_context(), ids)
    if result.invitations_total != invitations:
        raise SystemExit(f"launch made {result.invitations_total} invitations, not {invitations}")
    return result.round_id


def link_tokens(wired: App, round_id: int) -> dict[int, str]:
    """invitation id -> the token in its invitation email."""
    with wired.db.unit_of_work() as session:
        rows = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.kind == OutboxKind.INVITATION, OutboxMessage.round_id == round_id
            )
        ).all()
        found = {}
        for row in rows:
            # Queued mail holds its tokens sealed; put them in as the sender does.
            text = with_links(to_outgoing(row), row.sealed_links, wired.sealer).text
            match = TOKEN_IN_LINK.search(text)
            if match is None or row.invitation_id is None:
                raise SystemExit(f"no link in invitation email {row.id}")
            found[row.invitation_id] = match.group(1)
        return found


# --- the server ------------------------------------------------------------------------------


class WebServer:
    """`consult web` as a child process in its own process group (uvicorn's workers too)."""

    def __init__(self, env: dict[str, str], workers: int, log: Path) -> None:
        self.port = free_port()
        self._log = log.open("wb")
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "consult",
                "web",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
            ],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while True:
            if self._process.poll() is not None:
                raise SystemExit(f"consult web exited early; see {log}")
            try:
                if self.get("/health")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"consult web did not answer within 60 s; see {log}")
            time.sleep(0.2)
        if workers > 1:
            # uvicorn answers as soon as its first worker is up; give the others their time.
            time.sleep(3)

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server and its workers (its process group): a figure
        that depends much less than the rates on what else the machine is doing."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                # The command name may hold spaces; the fields after its ")" are fixed.
                fields = stat.read_text().rpartition(")")[2].split()
            except OSError:
                continue  # a process that ended meanwhile
            if int(fields[2]) == self._process.pid:  # pgrp
                total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / ticks

    def get(self, path: str) -> tuple[int, str]:
        return self.request("GET", path)

    def request(self, method: str, path: str, form: str | None = None) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if form else {}
        try:
            conn.request(method, path, body=form, headers=headers)
            response = conn.getresponse()
            return response.status, response.read().decode("utf-8")
        finally:
            conn.close()

    def stop(self) -> None:
        if self._process.poll() is None:
            # SIGINT: uvicorn's graceful shutdown, which lets after-response tasks finish.
            os.killpg(self._process.pid, signal.SIGINT)
            try:
                self._process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait()
        self._log.close()


# --- wrk -------------------------------------------------------------------------------------

LUA = r"""
-- Generated by bench/web_load.py: one request per call, cycling through the invitations.
local tokens = {TOKENS}
local csrfs = {CSRFS}
local method = "{METHOD}"
local expected = {EXPECTED}
local nthreads = {THREADS}
local n = #tokens
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  -- Each thread starts at its own share of the invitations: no two threads on one row.
  counter = math.floor(id * n / nthreads)
  unexpected = 0
  requests_made = {}
  local headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
  for i = 1, n do
    if method == "POST" then
      requests_made[i] = wrk.format("POST", "/i/" .. tokens[i] .. "/answer", headers,
        "answer=accept&csrf=" .. csrfs[i])
    else
      requests_made[i] = wrk.format("GET", "/i/" .. tokens[i])
    end
  end
end

function request()
  counter = counter + 1
  return requests_made[(counter % n) + 1]
end

function response(status, headers, body)
  if status ~= expected then unexpected = unexpected + 1 end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("unexpected") end
  local e = summary.errors
  io.write(string.format(
    '{MARK}{"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, '
    .. '"max_us": %d, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, '
    .. '"unexpected": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout, bad))
end
"""


def lua_list(values: list[str]) -> str:
    return "{" + ", ".join(json.dumps(v) for v in values) + "}"


def run_wrk(
    port: int,
    script: Path,
    seconds: int,
    threads: int,
    connections: int,
) -> dict[str, Any]:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is missing: script/test installs it (Debian: apt-get install wrk)")
    done = subprocess.run(
        [
            wrk,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "5s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    for line in done.stdout.splitlines():
        if line.startswith(WRK_MARK):
            result: dict[str, Any] = json.loads(line.removeprefix(WRK_MARK))
            return result
    raise SystemExit(f"wrk printed no result:\n{done.stdout}\n{done.stderr}")


def phase(
    server: WebServer,
    workdir: Path,
    method: str,
    tokens: list[str],
    csrfs: list[str],
    args: argparse.Namespace,
) -> dict[str, Any]:
    script = workdir / f"{method.lower()}.lua"
    lua = LUA
    for name, value in {
        "{TOKENS}": lua_list(tokens),
        "{CSRFS}": lua_list(csrfs),
        "{METHOD}": method,
        "{EXPECTED}": "303" if method == "POST" else "200",
        "{THREADS}": str(args.threads),
        "{MARK}": WRK_MARK,
    }.items():
        lua = lua.replace(name, value)
    script.write_text(lua, encoding="utf-8")
    cpu = server.cpu_seconds()
    result = run_wrk(server.port, script, args.seconds, args.threads, args.connections)
    result["server_cpu_s"] = server.cpu_seconds() - cpu
    return result


# --- one database ----------------------------------------------------------------------------


def stored_exactly_once(wired: App, round_id: int, invitations: int) -> tuple[bool, dict[str, int]]:
    """Every invitation accepted, with exactly one acceptance confirmation queued."""
    with wired.db.unit_of_work() as session:
        statuses = Counter(
            session.scalars(select(Invitation.status).where(Invitation.round_id == round_id))
        )
        per_invitation = Counter(
            session.scalars(
                select(OutboxMessage.invitation_id).where(
                    OutboxMessage.kind == OutboxKind.CONFIRMATION,
                    OutboxMessage.round_id == round_id,
                )
            )
        )
        unsent = session.scalar(
            select(func.count(OutboxMessage.id)).where(
                OutboxMessage.round_id == round_id, OutboxMessage.sent_at.is_(None)
            )
        )
    accepted = statuses[InvitationStatus.ACCEPTED]
    ok = (
        accepted == invitations
        and len(per_invitation) == invitations
        and set(per_invitation.values()) == {1}
    )
    return ok, {
        "accepted": accepted,
        "confirmations": sum(per_invitation.values()),
        "invitations_with_other_than_one_confirmation": invitations
        - sum(1 for c in per_invitation.values() if c == 1),
        "mail_unsent_after_stop": unsent or 0,
    }


def run_backend(
    database: str | None, workers: int, args: argparse.Namespace, stack: ExitStack
) -> dict[str, Any]:
    workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-web-")))
    sink = stack.enter_context(EmlSink(workdir / "mail"))
    database_url = stack.enter_context(bench_database(database, workdir))
    env = os.environ | {
        CONFIG_ENV: str(write_config(workdir, database_url, sink.port)),
        "CONSULT_BASE_URL": BASE_URL,
        "CONSULT_SECRET_KEY": secrets.token_hex(32),
        # The server's Prefect state (events go to an ephemeral server) stays in the temp dir.
        "PREFECT_HOME": str(workdir / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    os.environ.update({k: env[k] for k in (CONFIG_ENV, "CONSULT_BASE_URL", "CONSULT_SECRET_KEY")})
    settings = load_settings()
    with open_app(settings) as wired:
        round_id = launch(wired, args.invitations)
        tokens = link_tokens(wired, round_id)
        asyncio.run(send_due(wired.db, settings.smtp, settings.organiser, sealer=wired.sealer))

        server = WebServer(env, workers, workdir / "server.log")
        try:
            ordered = [tokens[i] for i in sorted(tokens)]
            csrfs = []
            for token in ordered:
                status, body = server.get(f"/i/{token}")
                match = CSRF.search(body)
                if status != 200 or match is None:
                    raise SystemExit(f"invitation page answered {status} without a form")
                csrfs.append(match.group(1))
            answers = phase(server, workdir, "POST", ordered, csrfs, args)
            # One more answer for every invitation, not timed: on a slow machine wrk may not
            # have come round to all of them, and the check below is about every invitation.
            sweep_errors = sum(
                server.request("POST", f"/i/{token}/answer", f"answer=accept&csrf={csrf}")[0] != 303
                for token, csrf in zip(ordered, csrfs, strict=True)
            )
            pages = phase(server, workdir, "GET", ordered, csrfs, args)
        finally:
            server.stop()
        ok, detail = stored_exactly_once(wired, round_id, args.invitations)

    def errors(result: dict[str, Any]) -> int:
        # wrk's "status" counts replies >= 400, which `unexpected` already holds.
        return int(sum(result[k] for k in ("connect", "read", "write", "timeout", "unexpected")))

    return {
        "answers_per_s": round(answers["requests"] / answers["duration_us"] * 1e6, 1),
        "pages_per_s": round(pages["requests"] / pages["duration_us"] * 1e6, 1),
        "p50_ms": round(answers["p50_us"] / 1000, 1),
        "p99_ms": round(answers["p99_us"] / 1000, 1),
        "errors": errors(answers) + errors(pages) + sweep_errors,
        "answers_stored_exactly_once": ok,
        "page_p50_ms": round(pages["p50_us"] / 1000, 1),
        "page_p99_ms": round(pages["p99_us"] / 1000, 1),
        # Server CPU per request (all workers): wrk may end a little before the server does.
        "server_cpu_ms_per_answer": round(answers["server_cpu_s"] / answers["requests"] * 1000, 2),
        "server_cpu_ms_per_page": round(pages["server_cpu_s"] / pages["requests"] * 1000, 2),
        "answers": answers["requests"],
        "pages": pages["requests"],
        "workers": workers,
        "check": detail,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--invitations", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=10, help="per phase")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sqlite-workers", type=int, default=1)
    parser.add_argument("--pg-workers", type=int, default=2)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("CONSULT_TEST_DATABASE_URL") or DEFAULT_PG,
        help="PostgreSQL server for the pg_ figures (a throw-away schema is made in it)",
    )
    parser.add_argument("--skip-pg", action="store_true", help="SQLite only")
    args = parser.parse_args()
    # A plain `kill` then unwinds the ExitStack too: server, SMTP sink, schema, temp dirs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))

    result: dict[str, Any] = {}
    with ExitStack() as stack:
        result.update(run_backend(None, args.sqlite_workers, args, stack))
    if not args.skip_pg:
        with ExitStack() as stack:
            pg = run_backend(args.database_url, args.pg_workers, args, stack)
        result.update({f"pg_{key}": value for key, value in pg.items()})
    result["settings"] = {
        "invitations": args.invitations,
        "seconds_per_phase": args.seconds,
        "connections": args.connections,
        "wrk_threads": args.threads,
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
