"""The round's status as a Prefect markdown artifact (key `status-<round>`), refreshed whenever
a round flow ends: the same tables `consult round status` prints."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from prefect import Flow
from prefect.artifacts import create_markdown_artifact
from prefect.client.schemas.objects import FlowRun, State

from consult.app.context import current
from consult.app.status import round_status, status_markdown
from consult.i18n import gettext as _

logger = logging.getLogger("consult.flows")


def artifact_key(slug: str) -> str:
    # Artifact keys allow lower-case letters, digits and dashes only; round slugs are just that.
    return f"status-{slug}"


def publish_round_status(round_id: int, now: datetime | None = None) -> str:
    """Write the round's status artifact; returns its key."""
    ctx = current()
    with ctx.db.unit_of_work() as session:
        view = round_status(
            session, round_id, now or datetime.now(UTC), ctx.settings.mail.require_approval
        )
    key = artifact_key(view.slug)
    # _sync: in an async flow (or its hooks) Prefect would otherwise hand back a coroutine.
    create_markdown_artifact(  # type: ignore[call-arg]
        status_markdown(view),
        key=key,
        description=_("State of round %(round)s", round=view.slug),
        _sync=True,
    )
    return key


def _round_id_of(flow_run: FlowRun, state: State[Any]) -> int | None:
    value = (flow_run.parameters or {}).get("round_id")
    if value is None and flow_run.parameters.get("spec_path") is not None:
        # launch-round takes a spec and returns the new round's id.
        value = state.result(raise_on_failure=False)
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def status_hook(flow: Flow[Any, Any], flow_run: FlowRun, state: State[Any]) -> None:
    """A flow state hook: refresh the status of the flow run's round. Best effort: a failure
    here is logged and never changes the flow run's own outcome."""
    round_id = _round_id_of(flow_run, state)
    if round_id is None:
        return
    try:
        publish_round_status(round_id)
    except Exception:
        logger.exception("could not publish the status of round %s", round_id)


def publish_status_after(*flows: Flow[Any, Any]) -> None:
    """Make each flow refresh its round's status artifact when it completes or fails."""
    for f in flows:
        if status_hook not in f.on_completion_hooks:
            f.on_completion_hooks.append(status_hook)
        if status_hook not in f.on_failure_hooks:
            f.on_failure_hooks.append(status_hook)
