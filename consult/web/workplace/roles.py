"""Which roles the workplace's pages are for, and the addresses they start from."""

from __future__ import annotations

from typing import Final

from models import Role

PREFIX: Final = "/werkplek"
SIGN_IN_PATH: Final = f"{PREFIX}/aanmelden"
CODE_PATH: Final = f"{PREFIX}/aanmelden/code"
ROUNDS_PATH: Final = f"{PREFIX}/"
OWN_ACCOUNT_PATH: Final = f"{PREFIX}/account"
ACCOUNTS_PATH: Final = f"{PREFIX}/accounts"

ALL_ROLES: Final = frozenset(Role)
# The rounds pages: the secretariat works on rounds; administrators and staff look.
ROUND_READERS: Final = frozenset({Role.BEHEERDER, Role.SECRETARIAAT, Role.STAF})
# Changes to a round (launch, mailings, people): the secretariat and administrators.
ROUND_MANAGERS: Final = frozenset({Role.BEHEERDER, Role.SECRETARIAAT})
# Decisions on building blocks (rename, merge, split, move, approve, reject, reopen): staff.
BLOCK_EDITORS: Final = frozenset({Role.STAF})
ACCOUNT_MANAGERS: Final = frozenset({Role.BEHEERDER})
# The registry holds everyone's contact details: only those who keep it see it.
REGISTRY_KEEPERS: Final = frozenset({Role.BEHEERDER, Role.SECRETARIAAT})
REGISTRY_PATH: Final = f"{PREFIX}/register"
OUTBOX_PATH: Final = f"{PREFIX}/uitgaand"
# A region's view of a round: its coordinators for their own regions (checked per region in
# consult.app.regions), the round readers for every region.
REGION_VIEWERS: Final = ROUND_READERS | {Role.REGIOCOORDINATOR}
REGIONS_PATH: Final = f"{PREFIX}/regio"
# Notes taken during a session: the secretariat (who facilitates) and staff.
NOTE_TAKERS: Final = frozenset({Role.SECRETARIAAT, Role.STAF})


def home_for(role: Role) -> str:
    """Where a role lands after signing in: the rounds, a coordinator's regions, or its own
    account page."""
    if role == Role.REGIOCOORDINATOR:
        return REGIONS_PATH
    return ROUNDS_PATH if role in ROUND_READERS else OWN_ACCOUNT_PATH
