"""Launch a round from its spec: the round, its candidate slots and its invitations."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consult.app import audit
from consult.i18n import gettext as _
from consult.registry.store import sync_reference_data
from consult.rounds.launch import LaunchError, LaunchResult, launch_round
from consult.spec import RoundSpec
from consult.wiring import App
from models import Round


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


class RoundExists(LaunchError):
    """A new round was asked for under a name or short name another round has."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        # Which of the spec's names is taken: "name" or "slug".
        self.field = field


def launch_new(session: Session, ctx: App, spec: RoundSpec, seed: int = 0) -> LaunchResult:
    """Launch a round that does not exist yet (for the workplace's form: launching the same
    spec again, as `consult round launch` may, would quietly complete the other round).
    Raises RoundExists, or LaunchError as `launch` does."""
    taken = session.scalars(
        select(Round).where(
            or_(Round.slug == spec.slug, func.lower(Round.name) == spec.name.strip().lower())
        )
    ).first()
    if taken is not None:
        if taken.name.strip().lower() == spec.name.strip().lower():
            raise RoundExists(
                _(
                    "There is a round called %(name)s already; choose another name.",
                    name=taken.name,
                ),
                "name",
            )
        raise RoundExists(
            _(
                "There is a round with the short name %(slug)s already (%(name)s); choose "
                "another short name.",
                slug=spec.slug,
                name=taken.name,
            ),
            "slug",
        )
    try:
        return launch(session, ctx, spec, seed)
    except IntegrityError as exc:
        # Someone launched the same round at the same moment (the round is flushed, so its
        # unique short name is checked, inside launch); the caller's unit of work rolls back.
        raise RoundExists(
            _(
                "A round with the short name %(slug)s was launched just now; choose another "
                "short name.",
                slug=spec.slug,
            ),
            "slug",
        ) from exc
