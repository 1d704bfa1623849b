"""The event-driven service under the session's Prefect test server: each consult.* event
reaches the deployment it should, and the tick walks a round through its deadlines on a clock
the test sets (no waiting for real deadlines)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from prefect.settings import PREFECT_API_URL
from sqlalchemy import func, select

from consult.demo.simulate import load_corpus, write_input_file
from consult.events import (
    BLOCKS_APPROVED,
    CONTRIBUTION_SUBMITTED,
    INVITATION_RESPONDED,
    ROUND_STATUS_LABEL,
    Signal,
    blocks_approved,
    emit_all,
    prefect_emitter,
    round_resource,
)
from consult.flows import round_cycle, service
from consult.flows.deployments import deployments
from consult.flows.status import artifact_key
from consult.mail.sink import EmlSink
from consult.settings import CONFIG_ENV, load_settings
from consult.synthesis import decisions
from consult.wiring import App, open_app
from models import (
    BlockStatus,
    BuildingBlock,
    ConsultationSession,
    OutboxKind,
    OutboxMessage,
    Round,
    RoundStatus,
)
from tests.conftest import write_config
from tests.integration.db.test_round_services import (
    ANSWER_DEADLINE,
    _answer,
    _invitations_by_theme,
    _launch,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def served(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[App, EmlSink]]:
    with EmlSink(tmp_path / "mail") as sink:
        config = write_config(tmp_path, database_url, smtp_host="127.0.0.1", smtp_port=sink.port)
        monkeypatch.setenv(CONFIG_ENV, str(config))
        with open_app(load_settings()) as app:
            yield app, sink


def _mail(sink: EmlSink) -> list[email.message.EmailMessage]:
    out = []
    for path in sorted(sink.directory.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        out.append(message)
    return out


def _kinds(app: App, round_id: int) -> Counter[str]:
    with app.db.unit_of_work() as session:
        return Counter(
            {
                kind.value: n
                for kind, n in session.execute(
                    select(OutboxMessage.kind, func.count(OutboxMessage.id))
                    .where(OutboxMessage.round_id == round_id)
                    .group_by(OutboxMessage.kind)
                )
            }
        )


def _tick(now, round_id: int | None = None) -> list[str]:
    return asyncio.run(service.service_tick(now=now, round_id=round_id))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_tick_takes_a_round_through_its_deadlines(served: tuple[App, EmlSink]) -> None:
    app, sink = served
    round_id = _launch(app)
    start = ANSWER_DEADLINE - timedelta(days=20)

    # Launched: the next tick sends the invitations, a second one finds nothing to do.
    assert _tick(start) == [f"{round_id}:send-invitations"]
    assert _tick(start) == []
    invited = _kinds(app, round_id)["invitation"]
    assert invited == 12 and len(_mail(sink)) == 12

    # Six days before the answer deadline: one reminder for each invitee who did not answer.
    with app.db.unit_of_work() as session:
        by_theme = _invitations_by_theme(session, round_id)
    accept = [i.id for i in by_theme["innovatie"][:5] + by_theme["behoud_betrokkenheid"][:3]]
    _answer(app, accept[:4])
    assert _tick(ANSWER_DEADLINE - timedelta(days=6)) == [f"{round_id}:send-reminders"]
    assert _kinds(app, round_id)["reminder"] == 8
    assert _tick(ANSWER_DEADLINE - timedelta(days=5)) == []
    _answer(app, accept[4:])

    # The answer deadline passes: place people, send calendar invitations; then quiet.
    assert _tick(ANSWER_DEADLINE) == [f"{round_id}:schedule"]
    assert _kinds(app, round_id)["calendar_request"] == 8
    assert _tick(ANSWER_DEADLINE + timedelta(minutes=5)) == []

    # An hour after the first sessions end (parallel groups end together) their attendees are
    # asked for lessons learned, once.
    with app.db.unit_of_work() as session:
        sessions = session.scalars(
            select(ConsultationSession).where(ConsultationSession.round_id == round_id)
        ).all()
        first_end = min(cs.end for cs in sessions)
        first_size = sum(len(cs.attendees) for cs in sessions if cs.end == first_end)
        assert 0 < first_size <= 8
    after_first = first_end + timedelta(hours=1)
    assert _tick(after_first) == [f"{round_id}:request-lessons"]
    assert _tick(after_first + timedelta(minutes=5)) == []
    assert _kinds(app, round_id)["input_request"] == first_size
    lessons = [m for m in _mail(sink) if "geleerd" in m["Subject"] or "learn" in m["Subject"]]
    assert len(lessons) == first_size

    # Input comes in; the input deadline passes: synthesis.
    input_file = sink.directory.parent / "input.csv"
    with app.db.unit_of_work() as session:
        write_input_file(session, round_id, load_corpus(app.settings.config_dir), input_file, 3)
    round_cycle.collect_input(round_id, str(input_file))
    with app.db.unit_of_work() as session:
        input_deadline = session.get_one(Round, round_id).input_deadline
    assert _tick(input_deadline) == [f"{round_id}:synthesise"]
    assert _tick(input_deadline + timedelta(minutes=5)) == []

    # Staff approve every block: the next tick writes the report, after which the round rests.
    with app.db.unit_of_work() as session:
        ids = list(
            session.scalars(select(BuildingBlock.id).where(BuildingBlock.round_id == round_id))
        )
        assert ids
        for block_id in ids:
            decisions.approve(session, block_id, "staf")
    assert _tick(input_deadline + timedelta(days=2)) == [f"{round_id}:compile-report"]
    with app.db.unit_of_work() as session:
        assert session.get_one(Round, round_id).status == RoundStatus.REPORTED
    assert _tick(input_deadline + timedelta(days=3)) == []

    # Nothing went out twice.
    ids = [m["Message-ID"] for m in _mail(sink)]
    assert len(ids) == len(set(ids)) == sum(_kinds(app, round_id).values())

    # Each flow refreshed the round's status artifact.
    with app.db.unit_of_work() as session:
        slug = session.get_one(Round, round_id).slug
    text = latest_artifact(artifact_key(slug))
    assert f"({slug})" in text and "Status: **rapport geschreven**" in text


def latest_artifact(key: str) -> str:
    """The newest artifact with this key, by plain HTTP: the client sends null run filters,
    which this server (prefect 3.8.8 with our fastapi) refuses."""
    api = PREFECT_API_URL.value()
    body = {"artifacts": {"key": {"any_": [key]}}, "limit": 1, "offset": 0, "sort": "UPDATED_DESC"}
    found = httpx.post(f"{api}/artifacts/filter", json=body).json()
    return str(found[0]["data"]) if found else ""


def _apply_all() -> dict[str, object]:
    return {d.flow_name: d.apply() for d in deployments(load_settings())}


def _runs_of(deployment_id: object) -> list[dict[str, object]]:
    """Parameters of the deployment's flow runs (plain HTTP, as in latest_artifact)."""
    body = {
        "deployments": {"id": {"any_": [str(deployment_id)]}},
        "limit": 50,
        "offset": 0,
        "sort": "EXPECTED_START_TIME_DESC",
    }
    response = httpx.post(f"{PREFECT_API_URL.value()}/flow_runs/filter", json=body)
    response.raise_for_status()
    return [dict(run["parameters"]) for run in response.json()]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_each_consult_event_reaches_its_flow(served: tuple[App, EmlSink]) -> None:
    ids = _apply_all()
    round_id = 4242  # the triggers only route; no run executes here (nothing serves them)
    early = 4243  # a round still taking answers: its events start nothing

    def answered(rid: int, status: str) -> Signal:
        return Signal(
            INVITATION_RESPONDED,
            f"consult.invitation.{rid}77",
            {"round_id": rid, "invitation_id": 77, "change": "answer"},
            ((round_resource(rid), "round"),),
            {ROUND_STATUS_LABEL: status},
        )

    def submitted(rid: int, status: str) -> Signal:
        return Signal(
            CONTRIBUTION_SUBMITTED,
            f"consult.contribution.{rid}88",
            {"round_id": rid, "invitation_id": 77, "contribution_id": 88},
            ((round_resource(rid), "round"),),
            {ROUND_STATUS_LABEL: status},
        )

    sent = emit_all(
        prefect_emitter,
        [
            answered(early, "inviting"),
            submitted(early, "collecting"),
            answered(round_id, "scheduled"),
            submitted(round_id, "synthesised"),
            blocks_approved(round_id),
        ],
    )
    assert sent == 5
    from prefect.events.worker import EventsWorker

    EventsWorker.drain_all()
    expected = {
        "on-answer": INVITATION_RESPONDED,
        "on-contribution": CONTRIBUTION_SUBMITTED,
        "on-blocks-approved": BLOCKS_APPROVED,
    }
    deadline = time.monotonic() + 60
    pending = dict(expected)
    while pending and time.monotonic() < deadline:
        for flow_name in list(pending):
            runs = _runs_of(ids[flow_name])
            if any(str(r.get("round_id")) == str(round_id) for r in runs):
                del pending[flow_name]
        time.sleep(1)
    assert not pending, f"no flow run for {pending}"
    # The tick has no trigger, only its schedule; the other flows neither. The early round's
    # events (answers before scheduling, input before synthesis) started nothing.
    for quiet in ("service-tick", "send-invitations", "compile-report"):
        assert all(str(r.get("round_id")) != str(round_id) for r in _runs_of(ids[quiet]))
    for flow_name in expected:
        assert all(str(r.get("round_id")) != str(early) for r in _runs_of(ids[flow_name]))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_event_flows_act_only_when_there_is_something_to_do(
    served: tuple[App, EmlSink],
) -> None:
    app, _ = served
    round_id = _launch(app)
    # Before scheduling an answer changes nothing; the tick waits for the deadline.
    assert asyncio.run(service.on_answer(round_id)) == {"rescheduled": False}
    assert service.on_contribution(round_id) == {"synthesised": False}
    assert service.on_blocks_approved(round_id) == {"report": False}
    with app.db.unit_of_work() as session:
        by_theme = _invitations_by_theme(session, round_id)
    _answer(app, [i.id for i in by_theme["innovatie"][:3]])
    assert _tick(ANSWER_DEADLINE, round_id) == [f"{round_id}:schedule"]
    # After scheduling a late acceptance is placed, and gets its calendar invitation.
    before = _kinds(app, round_id)["calendar_request"]
    _answer(app, [by_theme["innovatie"][3].id])
    result = asyncio.run(service.on_answer(round_id))
    assert result["rescheduled"] is True
    assert _kinds(app, round_id)["calendar_request"] == before + 1
    with app.db.unit_of_work() as session:
        assert (
            session.scalar(
                select(func.count(BuildingBlock.id)).where(
                    BuildingBlock.round_id == round_id, BuildingBlock.status == BlockStatus.DRAFT
                )
            )
            == 0
        )
    assert OutboxKind.CALENDAR_REQUEST.value == "calendar_request"
