"""What `consult serve` serves and `consult deploy` registers: every flow as a deployment, with
its schedule or event trigger.

- service-tick/consult      every `[service] tick_seconds`: deadlines of every active round
- on-answer/consult         event consult.invitation.responded of a scheduled round
- on-contribution/consult   event consult.contribution.submitted of a synthesised round
- on-blocks-approved/consult  event consult.round.blocks-approved (writes the report)
- poll-calendar-replies/consult  every `[service] poll_replies_seconds`, with [imap] only
- the round flows themselves (launch-round, send-invitations, ... compile-report), without a
  schedule, to run by hand (`prefect deployment run send-invitations/consult -p round_id=3`)

Deployments name their flows by module path (consult.flows.service.service_tick), so a worker
anywhere runs them from the consult package installed next to it, with its own CONSULT_CONFIG.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from prefect import Flow
from prefect.client.schemas.objects import (
    ConcurrencyLimitConfig,
    ConcurrencyLimitStrategy,
    StateType,
)
from prefect.deployments.runner import RunnerDeployment
from prefect.events import DeploymentEventTrigger
from prefect.events.actions import ChangeFlowRunState
from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture
from prefect.types.entrypoint import EntrypointType

from consult.events import (
    BLOCKS_APPROVED,
    CONTRIBUTION_SUBMITTED,
    INVITATION_RESPONDED,
    ROUND_STATUS_LABEL,
)
from consult.flows import round_cycle, service
from consult.settings import Settings

DEPLOYMENT = "consult"
TAGS = ["consult"]


def _on(event: str, *round_statuses: str) -> DeploymentEventTrigger:
    """Run on `event`; with `round_statuses`, only for events of rounds in one of them (a label
    the web app puts on the event), so the thousands of answers before the answer deadline
    start no flow run at all."""
    match: dict[str, str | list[str]] = {"prefect.resource.id": "consult.*"}
    if round_statuses:
        match[ROUND_STATUS_LABEL] = list(round_statuses)
    return DeploymentEventTrigger(
        name=f"consult: {event}",
        description=f"Run when {event} arrives; the round id comes from the event.",
        expect={event},
        match=match,
        # Rendered by the server as text; the flow's own validation makes it an int again.
        parameters={"round_id": "{{ event.payload.round_id }}"},
    )


def _one_at_a_time(strategy: ConcurrencyLimitStrategy) -> ConcurrencyLimitConfig:
    return ConcurrencyLimitConfig(limit=1, collision_strategy=strategy)


def deployments(settings: Settings, work_pool: str | None = None) -> list[RunnerDeployment]:
    """Every deployment; `work_pool` set: for workers in that pool, else for `prefect.serve`."""

    def make(flow: Flow[Any, Any], **options: Any) -> RunnerDeployment:
        made = flow.to_deployment(
            name=DEPLOYMENT,
            tags=TAGS,
            entrypoint_type=EntrypointType.MODULE_PATH,
            work_pool_name=work_pool,
            **options,
        )
        # to_deployment returns a coroutine only when called from async code; this is sync.
        assert isinstance(made, RunnerDeployment)
        return made

    result = [
        # A tick that finds the previous one still running has nothing to add: drop it.
        make(
            service.service_tick,
            interval=timedelta(seconds=settings.service.tick_seconds),
            concurrency_limit=_one_at_a_time(ConcurrencyLimitStrategy.CANCEL_NEW),
        ),
        # Placing people must not run twice at once for a round: one answer run at a time,
        # the others wait their turn (each finds what is still missing).
        make(
            service.on_answer,
            triggers=[_on(INVITATION_RESPONDED, "scheduled", "collecting")],
            concurrency_limit=_one_at_a_time(ConcurrencyLimitStrategy.ENQUEUE),
            enforce_parameter_schema=False,
        ),
        make(
            service.on_contribution,
            triggers=[_on(CONTRIBUTION_SUBMITTED, "synthesised")],
            concurrency_limit=_one_at_a_time(ConcurrencyLimitStrategy.ENQUEUE),
            enforce_parameter_schema=False,
        ),
        make(
            service.on_blocks_approved,
            triggers=[_on(BLOCKS_APPROVED)],
            enforce_parameter_schema=False,
        ),
        make(service.request_lessons),
        make(service.send_outbox_flow),
        make(round_cycle.launch_round),
        make(round_cycle.send_invitations),
        make(round_cycle.send_reminders),
        make(round_cycle.schedule_sessions),
        make(round_cycle.send_calendar_invites),
        make(round_cycle.collect_input),
        make(round_cycle.synthesise_round),
        make(round_cycle.compile_report),
    ]
    if settings.imap is not None:
        result.append(
            make(
                round_cycle.poll_calendar_replies,
                interval=timedelta(seconds=settings.service.poll_replies_seconds),
                concurrency_limit=_one_at_a_time(ConcurrencyLimitStrategy.CANCEL_NEW),
            )
        )
    else:
        result.append(make(round_cycle.poll_calendar_replies))
    return result


def full_name(flow: Flow[Any, Any]) -> str:
    """`flow-name/consult`, as `prefect deployment run` and run_deployment want it."""
    return f"{flow.name}/{DEPLOYMENT}"


CRASH_DETECTION = "consult: flow runs without a heartbeat are crashed"
# A flow run's own events that say it is still alive or has ended.
_ALIVE_OR_ENDED = {
    "prefect.flow-run.heartbeat",
    "prefect.flow-run.Completed",
    "prefect.flow-run.Failed",
    "prefect.flow-run.Cancelled",
    "prefect.flow-run.Crashed",
}


def crash_detection(settings: Settings) -> AutomationCore:
    """Mark our flow runs crashed when their heartbeat stops (a worker or machine that died
    cannot say so itself). Without it such a run stays "Running" for ever and, for the tick,
    keeps its one-at-a-time slot, so no tick would run again."""
    return AutomationCore(
        name=CRASH_DETECTION,
        description="A consult flow run that sent no heartbeat for [service] crash_after_s "
        "seconds is marked Crashed; the next service tick does what it left undone.",
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect=_ALIVE_OR_ENDED,
            match={"prefect.resource.id": "prefect.flow-run.*"},
            match_related={
                "prefect.resource.role": "tag",
                "prefect.resource.id": [f"prefect.tag.{tag}" for tag in TAGS],
            },
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=timedelta(seconds=settings.service.crash_after_s),
        ),
        actions=[
            ChangeFlowRunState(
                state=StateType.CRASHED,
                message=f"No heartbeat for {settings.service.crash_after_s:g} s: "
                "the worker or its machine stopped.",
            )
        ],
    )


def ensure_crash_detection(settings: Settings) -> None:
    """Create the crash-detection automation, or bring it up to date (idempotent)."""
    from prefect.client.orchestration import get_client

    wanted = crash_detection(settings)
    with get_client(sync_client=True) as client:
        existing = client.read_automations_by_name(CRASH_DETECTION)
        if existing:
            client.update_automation(existing[0].id, wanted)
        else:
            client.create_automation(wanted)
