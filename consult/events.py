"""Prefect events for facts the database already holds.

Store, then signal: callers commit first and emit afterwards, so an event never announces
something that was rolled back. An event carries ids and codes, never names, addresses or
text: Prefect's event store is not the place for personal data. Emitting is best effort: the
answer stands when Prefect is unreachable, and the failure is logged (flows that react to
events also run on schedules, so a lost event delays work but does not lose it).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

logger = logging.getLogger("consult.events")

INVITATION_RESPONDED = "consult.invitation.responded"
CONTRIBUTION_SUBMITTED = "consult.contribution.submitted"
# The round's status when the event happened, as a resource label: triggers match on it, so an
# answer before scheduling starts no flow run at all.
ROUND_STATUS_LABEL = "consult.round.status"
# Staff decided on every block of a round and approved at least one: the report can be written.
BLOCKS_APPROVED = "consult.round.blocks-approved"


@dataclass(frozen=True)
class Signal:
    event: str
    resource_id: str
    payload: dict[str, str | int | list[int]] = field(default_factory=dict)
    # (resource id, role) of related resources, e.g. ("consult.round.3", "round").
    related: tuple[tuple[str, str], ...] = ()
    # Extra attributes (Prefect: labels) of the resource, for triggers to match on, such as
    # the round's status. Codes only, like the payload.
    attributes: dict[str, str] = field(default_factory=dict)


Emitter = Callable[[Signal], None]


def invitation_resource(invitation_id: int) -> str:
    return f"consult.invitation.{invitation_id}"


def contribution_resource(contribution_id: int) -> str:
    return f"consult.contribution.{contribution_id}"


def round_resource(round_id: int) -> str:
    return f"consult.round.{round_id}"


def blocks_approved(round_id: int) -> Signal:
    return Signal(BLOCKS_APPROVED, round_resource(round_id), {"round_id": round_id})


def prefect_emitter(signal: Signal) -> None:
    """Hand the signal to Prefect's events worker (it sends in the background)."""
    # Imported here: prefect takes seconds to import, and only processes that emit need it.
    from prefect.events import emit_event

    emit_event(
        event=signal.event,
        resource={"prefect.resource.id": signal.resource_id, **signal.attributes},
        related=[
            {"prefect.resource.id": resource_id, "prefect.resource.role": role}
            for resource_id, role in signal.related
        ],
        payload=dict(signal.payload),
    )


def emit_all(emitter: Emitter, signals: Iterable[Signal]) -> int:
    """Emit each signal; a failure is logged and the rest still go out. Returns how many went."""
    sent = 0
    for signal in signals:
        try:
            emitter(signal)
        except Exception:
            logger.exception(
                "could not emit %s for %s; the change itself is stored",
                signal.event,
                signal.resource_id,
            )
            continue
        sent += 1
    return sent


def configured_emitter() -> Emitter | None:
    """Prefect events when a Prefect server is configured (PREFECT_API_URL); else None: a
    command run by hand has nobody listening, and the service's tick catches up anyway."""
    return prefect_emitter if os.environ.get("PREFECT_API_URL") else None
