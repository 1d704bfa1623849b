"""The workplace's routes under /werkplek, each with its guard (consult.web.workplace.access). A
page module of its own adds its router here."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from consult.web.workplace import (
    routes_accounts,
    routes_board,
    routes_launch,
    routes_lineage,
    routes_mailings,
    routes_outbox,
    routes_people,
    routes_privacy,
    routes_regions,
    routes_registry,
    routes_rounds,
    routes_schedule,
    routes_session_notes,
    routes_sign_in,
)
from consult.web.workplace.access import check_guarded


def workplace_routers() -> Sequence[APIRouter]:
    return check_guarded(
        [
            routes_sign_in.router,
            # Before the rounds: /rondes/nieuw is not the round with id "nieuw".
            routes_launch.router,
            routes_rounds.router,
            routes_accounts.router,
            routes_people.router,
            routes_registry.router,
            routes_outbox.router,
            routes_mailings.router,
            routes_privacy.router,
            routes_board.router,
            routes_schedule.router,
            routes_lineage.router,
            routes_regions.router,
            routes_session_notes.router,
        ]
    )
