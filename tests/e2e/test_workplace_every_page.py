"""axe-core on every page of the workplace, found from the app's own routes: Debian's headless
Chromium, driven by Playwright, against `consult web` on the demo's database (a round with
answers, sessions, input and building blocks), each page opened by a role that may see it.
A new page is checked without a line here; a GET route that is not a page (a download) is
named in NOT_PAGES, so nothing is left out by accident."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from consult.web.workplace.access import Audience, guards
from consult.web.workplace.router import workplace_routers
from models import Role
from tests.e2e.demo_site import (
    add_accounts,
    demo_ids,
    password_only,
    run_demo,
    running_web,
    sign_in_as,
)
from tests.e2e.test_workplace_browser import (
    ARTIFACTS,
    AXE,
    _axe,
)
from tests.e2e.workplace_site import CHROMIUM

pytestmark = pytest.mark.slow

# Who opens a page that several roles may see: the one with the most on it.
PREFERENCE = (Role.SECRETARIAAT, Role.STAF, Role.BEHEERDER, Role.REGIOCOORDINATOR)
# GET routes that answer with a file, not a page.
NOT_PAGES = {"/werkplek/rondes/{round_id}/rapporten/{filename}"}
UPLOAD = (
    "organisatie;sector;regio;naam;e-mailadres;functie\n"
    "Zorggroep Twente;vvt;Twente;Eva Evers;eva@zorg-twente.example;bestuurder\n"
    "Zorggroep Fout;vvt;Twente;Frank Fout;frank@@fout;bestuurder\n"
)


@dataclass
class Site:
    base_url: str
    secrets: dict[Role, str]
    ids: dict[str, str]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: apt-get install -y chromium (script/test does)")
    if not AXE.exists():
        pytest.fail("axe-core is missing: npm ci --prefix tests/browser_tools (script/test does)")
    workdir: Path = tmp_path_factory.mktemp("every-page")
    config = run_demo(workdir / "demo")
    secrets = add_accounts(config)
    ids = demo_ids(config)
    with running_web(config, workdir / "web.log") as base_url:
        yield Site(base_url, secrets, ids)


def _address(path: str, ids: dict[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in ids:
            raise AssertionError(f"no value for {{{name}}} in {path}: add it to demo_ids")
        return ids[name]

    return re.sub(r"\{(\w+)\}", fill, path)


def test_every_workplace_page_has_no_serious_or_critical_violation(
    site: Site,
    browser: Any,
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pages = [g for g in guards(workplace_routers()) if g.method == "GET"]
    assert len(pages) > 30
    contexts: dict[str, Any] = {}

    def page_for(who: str) -> Any:
        if who not in contexts:
            # axe-core is injected as a script; the app's policy allows none of its own.
            context = browser.new_context(bypass_csp=True, viewport={"width": 1200, "height": 900})
            page = context.new_page()
            if who != "anyone":
                role = Role(who.removeprefix("pending:"))
                if who == role.value:
                    sign_in_as(page, site.base_url, role, site.secrets[role])
                else:
                    password_only(page, site.base_url, role)
            contexts[who] = page
        return contexts[who]

    # An upload waiting for confirmation: its report page is a page too.
    uploader = page_for(Role.SECRETARIAAT.value)
    uploader.goto(f"{site.base_url}/werkplek/register/inlezen")
    uploader.get_by_label("Bestand").set_input_files(
        files=[{"name": "register.csv", "mimeType": "text/csv", "buffer": UPLOAD.encode()}]
    )
    uploader.get_by_role("button", name="Bestand lezen").click()
    uploader.wait_for_url("**/register/inlezen/*")
    ids = {**site.ids, "key": uploader.url.rstrip("/").rsplit("/", 1)[1], "token": "x" * 43}

    found: list[str] = []
    checked: list[str] = []
    for route in pages:
        if route.path in NOT_PAGES:
            continue
        guard = route.guard
        if guard.audience == Audience.ANYONE:
            who = "anyone"
        elif guard.audience == Audience.PENDING:
            who = f"pending:{Role.SECRETARIAAT.value}"
        else:
            who = next(r for r in PREFERENCE if r in guard.roles).value
        page = page_for(who)
        answer = page.goto(site.base_url + _address(route.path, ids))
        assert answer is not None
        # The password-reset page of an unknown link says so, with its own status.
        expected = {404, 410} if "{token}" in route.path else {200}
        assert answer.status in expected, f"{route.path} as {who}: {answer.status}"
        name = re.sub(r"[^a-z0-9]+", "-", route.path.removeprefix("/werkplek/")).strip("-")
        found += _axe(page, f"every-{name or 'rounds'}")
        checked.append(route.path)

    for page in contexts.values():
        page.context.close()
    assert len(checked) == len(pages) - len(NOT_PAGES)
    assert found == []
