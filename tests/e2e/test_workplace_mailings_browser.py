"""Mailing review in a real browser: Debian's headless Chromium, driven by Playwright, against
`consult web` in its own process on PostgreSQL, mail to a real SMTP server (EmlSink). A
secretariat member signs in with password and TOTP code, sees on the round's dashboard that the
invitations wait for approval, opens the round's mailings and the invitation's preview (a Dutch
and an English recipient, HTML and text), and approves it using the keyboard alone; the mail
then leaves. axe-core finds no serious or critical WCAG 2.1 A/AA violation on the pages.
Screenshots go to test-artifacts/workplace/."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from consult.app.accounts import add_account
from consult.mail.sink import EmlSink, free_port
from consult.registry.parsing import RegistryRow
from consult.registry.store import store_rows, sync_reference_data
from consult.rounds.invite import queue_invitations
from consult.rounds.launch import launch_round
from consult.settings import CONFIG_ENV, load_settings
from consult.wiring import open_app
from models import Invitation, Role
from tests.conftest import _migrated_schema, _pg_base_url
from tests.e2e.test_workplace_browser import (
    ARTIFACTS,
    AXE,
    _axe,
    _spec,
)
from tests.e2e.workplace_site import CHROMIUM, serving, sign_in, write_config

pytestmark = pytest.mark.slow

EMAIL = "sanne.visser@wiz.example"
PASSWORD = "een lange zin als wachtwoord"
ROUND_NAME = "Consultatieronde najaar"


def _registry() -> list[RegistryRow]:
    people = [
        ("Anneke de Vries", "anneke@zorg-achterhoek.example", "vvt", "Achterhoek", "nl"),
        ("Bram Jansen", "bram@ggz-twente.example", "ggz", "Twente", "nl"),
        ("Claire Brown", "claire@zkh-zwolle.example", "ziekenhuis", "Zwolle", "en"),
        ("Daan Bakker", "daan@mbo-twente.example", "mbo", "Twente", "nl"),
    ]
    return [
        RegistryRow(
            row=n + 2,
            organisation=f"Zorggroep {region} {sector.upper()}",
            sector=sector,
            region=region,
            name=name,
            email=address,
            role="bestuurder",
            language=language,
        )
        for n, (name, address, sector, region, language) in enumerate(people)
    ]


@dataclass
class Site:
    base_url: str
    totp_secret: str
    round_id: int
    invited: int
    mail_dir: Path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: apt-get install -y chromium (script/test does)")
    if not AXE.exists():
        pytest.fail("axe-core is missing: npm ci --prefix tests/browser_tools (script/test does)")
    workdir = tmp_path_factory.mktemp("mailings")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with _migrated_schema(_pg_base_url()) as database_url, EmlSink(workdir / "mail") as sink:
        # No [mail] section: mailings wait for approval, as they do by default.
        config = write_config(workdir, database_url, base_url, sink.port)
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv(CONFIG_ENV, str(config))
            settings = load_settings()
        assert settings.mail.require_approval
        with open_app(settings) as wired:
            with wired.db.unit_of_work() as session:
                sync_reference_data(session, wired.taxonomy)
                store_rows(session, _registry())
                round_id = launch_round(
                    session, _spec(), settings.organiser.name, settings.organiser.email
                ).round_id
                ids = list(
                    session.scalars(select(Invitation.id).where(Invitation.round_id == round_id))
                )
                invited = queue_invitations(session, wired.mail_context(), ids)
                made = add_account(
                    session, wired, EMAIL, Role.SECRETARIAAT, name="Sanne Visser", password=PASSWORD
                )
            assert made.totp_secret is not None
        with serving(config, port, workdir / "web.log"):
            yield Site(base_url, made.totp_secret, round_id, invited, sink.directory)


def _focused(page: Any) -> str:
    return str(page.evaluate("() => document.activeElement.textContent.trim()"))


def _mail_count(directory: Path, expected: int, timeout: float = 20.0) -> int:
    """The .eml files in `directory`, once there are `expected` (or the timeout passed)."""
    deadline = time.monotonic() + timeout
    while True:
        found = len(list(directory.glob("*.eml")))
        if found >= expected or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_the_secretariat_previews_the_invitations_and_approves_them_by_keyboard(
    site: Site, browser: Any
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # axe-core is injected as a script; the app's policy allows none of its own.
    context = browser.new_context(bypass_csp=True, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    found: list[str] = []

    sign_in(page, site.base_url, EMAIL, PASSWORD, site.totp_secret)

    # The dashboard says the invitations wait.
    page.goto(f"{site.base_url}/werkplek/rondes/{site.round_id}")
    waiting = page.locator("#awaiting-approval")
    assert f"{site.invited} berichten wachten op goedkeuring." in waiting.inner_text()
    waiting.get_by_role("link", name="Bekijk de mailings").click()
    page.wait_for_url("**/mailings")
    assert page.get_by_role("heading", level=1).inner_text() == f"Mailings van {ROUND_NAME}"
    row = page.get_by_role("row", name=re.compile(r"^uitnodiging "))
    assert "vastgehouden: wacht op goedkeuring" in row.inner_text()
    found += _axe(page, "mailings-1-list")
    page.screenshot(path=str(ARTIFACTS / "mailings-1-list.png"), full_page=True)

    row.get_by_role("link", name="uitnodiging", exact=True).click()
    page.wait_for_url("**/mailings/invitation")
    assert page.get_by_role("heading", level=1).inner_text() == "Mailing: uitnodiging"
    assert page.get_by_role("heading", name="Nederlands").is_visible()
    assert page.get_by_role("heading", name="English").is_visible()
    frames = page.locator("iframe.mail-html")
    assert frames.count() == 2
    dutch = page.frame_locator("iframe.mail-html").first.locator("body").inner_text()
    english = page.frame_locator("iframe.mail-html").last.locator("body").inner_text()
    assert "Claire Brown" not in dutch and "Claire Brown" in english
    assert "nodigt u uit" in dutch and "invite" in english.lower()
    texts = page.locator("pre.mail-text")
    assert texts.count() == 2 and "[link:" in texts.first.inner_text()
    found += _axe(page, "mailings-2-preview")
    page.screenshot(path=str(ARTIFACTS / "mailings-2-preview.png"), full_page=True)
    assert _mail_count(site.mail_dir, 1, timeout=0) == 0

    # Keyboard only: Tab from the top of the page to the approve button, then Enter.
    page.locator("body").focus()
    for _ in range(60):
        page.keyboard.press("Tab")
        if _focused(page) == "Goedkeuren en versturen":
            break
    else:
        pytest.fail("the approve button cannot be reached with Tab")
    page.keyboard.press("Enter")
    page.wait_for_url("**/mailings/invitation?melding=goedgekeurd")
    assert "De mailing is goedgekeurd" in page.get_by_role("status").inner_text()
    assert f"goedgekeurd door {EMAIL}" in page.locator("#approval").inner_text()
    found += _axe(page, "mailings-3-approved")
    page.screenshot(path=str(ARTIFACTS / "mailings-3-approved.png"), full_page=True)

    # The mail leaves after the answer, each message once.
    assert _mail_count(site.mail_dir, site.invited) == site.invited
    page.goto(f"{site.base_url}/werkplek/rondes/{site.round_id}")
    assert page.locator("#awaiting-approval").count() == 0
    context.close()

    assert found == []
