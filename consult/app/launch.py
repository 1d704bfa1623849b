"""Launch a round from its spec: the round, its candidate slots and its invitations."""

from __future__ import annotations

from sqlalchemy.orm import Session

from consult.registry.store import sync_reference_data
from consult.rounds.launch import LaunchResult, launch_round
from consult.spec import RoundSpec
from consult.wiring import App


def launch(session: Session, ctx: App, spec: RoundSpec, seed: int = 0) -> LaunchResult:
    """Create (or complete) the round; launching the same spec again adds only what is
    missing. Raises LaunchError (Dutch message) for a spec the registry cannot serve."""
    sync_reference_data(session, ctx.taxonomy)
    organiser = ctx.settings.organiser
    return launch_round(session, spec, organiser.name, organiser.email, seed=seed)
