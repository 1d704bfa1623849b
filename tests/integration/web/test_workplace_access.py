"""Every workplace route, for every kind of visitor: not signed in, password checked but no code
yet, and each role. Refused means sent to sign-in (303) without a session, to the code page
with only the password, and 403 for a role the route is not for; allowed means the route
answered itself. Who may use each route is written out below, apart from the code; the routes
come from the app's own routers, so a new page fails this test until it has a line here."""

from __future__ import annotations

import re
import secrets

import httpx
import pytest
from fastapi.testclient import TestClient

from consult.web.workplace.access import Audience, GuardedRoute, guards
from consult.web.workplace.router import workplace_routers
from models import Role
from tests.integration.web.conftest import World
from tests.integration.web.sessions_support import seat
from tests.integration.web.workplace_support import (
    add_member,
    csrf_of,
    ids_in,
    new_client,
    sign_in,
    submit_password,
)

ROUTES = guards(workplace_routers())
SIGN_IN = "/werkplek/aanmelden"
CODE = "/werkplek/aanmelden/code"
READERS = {Role.BEHEERDER, Role.SECRETARIAAT, Role.STAF}
# Changes to rounds and the registry (which holds everyone's contact details).
MANAGERS = {Role.BEHEERDER, Role.SECRETARIAAT}
# Decisions on building blocks.
BLOCK_EDITORS = {Role.STAF}
# Who may use each route: "anyone", "pending" (password checked, code to come), or the roles.
POLICY: dict[tuple[str, str], str | set[Role]] = {
    ("GET", "/werkplek/aanmelden"): "anyone",
    ("POST", "/werkplek/aanmelden"): "anyone",
    ("GET", "/werkplek/aanmelden/code"): "pending",
    ("POST", "/werkplek/aanmelden/code"): "pending",
    ("POST", "/werkplek/afmelden"): "anyone",
    ("GET", "/werkplek/wachtwoord-vergeten"): "anyone",
    ("POST", "/werkplek/wachtwoord-vergeten"): "anyone",
    ("GET", "/werkplek/wachtwoord/{token}"): "anyone",
    ("POST", "/werkplek/wachtwoord/{token}"): "anyone",
    ("POST", "/werkplek/taal"): "anyone",
    ("GET", "/werkplek/"): READERS,
    ("GET", "/werkplek/rondes/{round_id}"): READERS,
    ("GET", "/werkplek/rondes/nieuw"): MANAGERS,
    ("POST", "/werkplek/rondes/nieuw"): MANAGERS,
    ("GET", "/werkplek/accounts"): {Role.BEHEERDER},
    ("POST", "/werkplek/accounts"): {Role.BEHEERDER},
    ("POST", "/werkplek/accounts/{account_id}/uitschakelen"): {Role.BEHEERDER},
    ("GET", "/werkplek/account"): set(Role),
    ("GET", "/werkplek/rondes/{round_id}/mensen"): READERS,
    ("GET", "/werkplek/rondes/{round_id}/mensen/{invitation_id}"): READERS,
    ("POST", "/werkplek/rondes/{round_id}/mensen/{invitation_id}/opnieuw-uitnodigen"): MANAGERS,
    ("POST", "/werkplek/rondes/{round_id}/mensen/{invitation_id}/herinneren"): MANAGERS,
    ("POST", "/werkplek/rondes/{round_id}/mensen/{invitation_id}/adres"): MANAGERS,
    ("POST", "/werkplek/rondes/{round_id}/mensen/{invitation_id}/intrekken"): MANAGERS,
    ("GET", "/werkplek/register"): MANAGERS,
    ("GET", "/werkplek/register/organisaties"): MANAGERS,
    ("GET", "/werkplek/register/inlezen"): MANAGERS,
    ("POST", "/werkplek/register/inlezen"): MANAGERS,
    ("GET", "/werkplek/register/inlezen/{key}"): MANAGERS,
    ("POST", "/werkplek/register/inlezen/{key}"): MANAGERS,
    ("GET", "/werkplek/register/mensen/{person_id}"): MANAGERS,
    ("POST", "/werkplek/register/mensen/{person_id}"): MANAGERS,
    ("GET", "/werkplek/register/organisaties/{organisation_id}"): MANAGERS,
    ("POST", "/werkplek/register/organisaties/{organisation_id}"): MANAGERS,
    ("GET", "/werkplek/uitgaand"): READERS,
    ("POST", "/werkplek/uitgaand/opnieuw"): MANAGERS,
    ("POST", "/werkplek/uitgaand/vrijgeven"): MANAGERS,
    ("POST", "/werkplek/register/mensen/{person_id}/export"): MANAGERS,
    ("GET", "/werkplek/audit"): {Role.BEHEERDER},
    ("GET", "/werkplek/rondes/{round_id}/bouwstenen"): READERS,
    ("GET", "/werkplek/rondes/{round_id}/bouwstenen/{theme}"): READERS,
    ("GET", "/werkplek/rondes/{round_id}/bijdragen"): READERS,
    ("POST", "/werkplek/rondes/{round_id}/bouwstenen/{theme}/verplaatsen"): BLOCK_EDITORS,
    ("POST", "/werkplek/rondes/{round_id}/bouwstenen/{theme}/alles-goedkeuren"): BLOCK_EDITORS,
    ("POST", "/werkplek/rondes/{round_id}/bouwstenen/{theme}/samenvoegen"): BLOCK_EDITORS,
    **{
        ("POST", f"/werkplek/rondes/{{round_id}}/bouwstenen/{{theme}}/blokken/{{block_id}}/{a}"): (
            BLOCK_EDITORS
        )
        for a in (
            "titel",
            "samenvatting",
            "bijdragen",
            "goedkeuren",
            "afwijzen",
            "heropenen",
        )
    },
    ("GET", "/werkplek/rondes/{round_id}/indeling"): READERS,
    ("POST", "/werkplek/rondes/{round_id}/indeling/voorstel"): MANAGERS,
    ("POST", "/werkplek/rondes/{round_id}/indeling/toepassen"): MANAGERS,
    ("POST", "/werkplek/rondes/{round_id}/indeling/slots/{slot_id}/intrekken"): MANAGERS,
    ("GET", "/werkplek/bouwstenen/{block_id}"): READERS,
    ("GET", "/werkplek/bijdragen/{contribution_id}"): READERS,
    ("GET", "/werkplek/sessies/{session_id}"): READERS,
    ("GET", "/werkplek/rondes/{round_id}/rapporten"): READERS,
    ("GET", "/werkplek/rondes/{round_id}/rapporten/{filename}"): READERS,
    ("POST", "/werkplek/rondes/{round_id}/rapporten"): READERS,
    # A region's view: the round readers see every region, a coordinator their own (the
    # matrix's coordinator looks after Twente; another region is refused by the page).
    ("GET", "/werkplek/regio"): READERS | {Role.REGIOCOORDINATOR},
    ("GET", "/werkplek/regio/{region}"): READERS | {Role.REGIOCOORDINATOR},
    ("GET", "/werkplek/sessies/{session_id}/notities"): {Role.SECRETARIAAT, Role.STAF},
    ("POST", "/werkplek/sessies/{session_id}/notities"): {Role.SECRETARIAAT, Role.STAF},
    ("GET", "/werkplek/rondes/{round_id}/mailings"): READERS,
    ("GET", "/werkplek/rondes/{round_id}/mailings/{kind}"): READERS,
    ("POST", "/werkplek/rondes/{round_id}/mailings/{kind}/goedkeuren"): MANAGERS,
}
HOMES = {
    Role.BEHEERDER: "/werkplek/",
    Role.SECRETARIAAT: "/werkplek/",
    Role.STAF: "/werkplek/",
    Role.REGIOCOORDINATOR: "/werkplek/regio",
}


def _path(route: GuardedRoute, values: dict[str, str]) -> str:
    params = re.findall(r"{(\w+)}", route.path)
    missing = [p for p in params if p not in values]
    assert not missing, f"give the matrix a value for {missing} in {route.path}"
    return re.sub(r"{(\w+)}", lambda m: values[m.group(1)], route.path)


def _ask(client: TestClient, route: GuardedRoute, path: str, csrf: str) -> httpx.Response:
    if route.method == "GET":
        return client.get(path)
    return client.request(route.method, path, data={"csrf": csrf})


def _expected(route: GuardedRoute, visitor: str) -> tuple[int, str | None] | None:
    """The refusal `visitor` gets (status, redirect target), or None when allowed."""
    policy = POLICY[(route.method, route.path)]
    if policy == "anyone":
        return None
    if visitor == "anonymous":
        return 303, SIGN_IN
    if visitor == "pending":
        return None if policy == "pending" else (303, CODE)
    role = Role(visitor)
    if policy == "pending":
        return 303, HOMES[role]
    assert isinstance(policy, set)
    return None if role in policy else (403, None)


# Signing out ends the visitor's session: it comes last.
ORDERED = sorted(ROUTES, key=lambda r: r.path == "/werkplek/afmelden")


def test_every_route_has_a_line_in_the_policy_and_declares_it() -> None:
    assert {(r.method, r.path) for r in ROUTES} == set(POLICY)
    for route in ROUTES:
        policy = POLICY[(route.method, route.path)]
        if policy in ("anyone", "pending"):
            assert route.guard.audience.value == policy, route
        else:
            assert route.guard.audience is Audience.SIGNED_IN, route
            assert route.guard.roles == policy, route


@pytest.mark.parametrize(
    "visitor", ["anonymous", "pending", *(role.value for role in Role)], ids=str
)
def test_every_route_lets_in_exactly_the_visitors_it_is_for(world: World, visitor: str) -> None:
    target = add_member(world.wired, Role.STAF, email="doelwit@wiz.example")
    with world.wired.db.unit_of_work() as session:
        from consult.app.accounts import find_account

        target_id = find_account(session, target.email).id
    values = {
        "round_id": str(world.round_id),
        "token": secrets.token_urlsafe(32),
        "account_id": str(target_id),
        "region": "Twente",
        "session_id": str(seat(world, ["ggz.twente@example.org"])),
        **ids_in(world),
    }
    client = new_client(world.client)
    if visitor == "anonymous":
        csrf = csrf_of(client.get(SIGN_IN).text)
    elif visitor == "pending":
        member = add_member(world.wired, Role.SECRETARIAAT)
        assert submit_password(client, member.email, member.password).status_code == 303
        csrf = csrf_of(client.get(CODE).text)
    else:
        member = add_member(world.wired, Role(visitor))
        sign_in(client, member, world.clock)
        csrf = csrf_of(client.get("/werkplek/account").text)

    wrong = []
    for route in ORDERED:
        response = _ask(client, route, _path(route, values), csrf)
        refusal = _expected(route, visitor)
        location = response.headers.get("location")
        if refusal is None:
            refused = response.status_code == 403 or (
                response.status_code == 303 and location in (SIGN_IN, CODE)
            )
            if refused:
                wrong.append(f"{route.method} {route.path}: refused ({response.status_code})")
        elif (response.status_code, location) != refusal:
            wrong.append(
                f"{route.method} {route.path}: {response.status_code} {location}, "
                f"expected {refusal}"
            )
        elif response.status_code == 403:
            assert "Geen toegang" in response.text
    assert wrong == []
