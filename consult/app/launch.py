"""Launch a round from its spec: the round, its candidate slots and its invitations."""

from __future__ import annotations

from sqlalchemy.orm import Session

from consult.app import audit
from consult.registry.store import sync_reference_data
from consult.rounds.launch import LaunchResult, launch_round
from consult.spec import RoundSpec
from consult.wiring import App


def launch(session: Session, ctx: App, spec: RoundSpec, seed: int = 0) -> LaunchResult:
    """Create (or complete) the round; launching the same spec again adds only what is
    missing. Raises LaunchError (Dutch message) for a spec the registry cannot serve."""
    sync_reference_data(session, ctx.taxonomy)
    organiser = ctx.settings.organiser
    result = launch_round(session, spec, organiser.name, organiser.email, seed=seed)
    audit.record(
        session,
        audit.Action.ROUND_LAUNCH,
        round_id=result.round_id,
        subject=("round", result.round_id),
        details={
            "slug": spec.slug,
            "invitations_created": result.invitations_created,
            "invitations_total": result.invitations_total,
            "slots_created": result.slots_created,
        },
    )
    return result
