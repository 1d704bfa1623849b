"""The staff's building-block board in a real browser: Debian's headless Chromium, driven by
Playwright, against `consult web` in its own process on PostgreSQL. A staff member signs in
(password and TOTP code), places a late contribution from the tray with its top suggestion,
merges two blocks, approves every block of the theme and searches the contributions; another
board is operated by keyboard alone (focus visible on every stop). axe-core finds no serious or
critical WCAG 2.1 A/AA violation on the board and search pages. Screenshots go to
test-artifacts/workplace-board/.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from consult.app.accounts import add_account
from consult.mail.sink import EmlSink, free_port
from consult.registry.store import store_rows, sync_reference_data
from consult.rounds.launch import launch_round
from consult.settings import CONFIG_ENV, PROJECT_ROOT, load_settings
from consult.wiring import open_app
from models import (
    BuildingBlock,
    Contribution,
    ContributionKind,
    Invitation,
    QuotePermission,
    Role,
    Theme,
    block_contribution,
)
from tests.conftest import _migrated_schema, _pg_base_url
from tests.e2e.test_workplace_browser import ARTIFACTS as AXE_REPORTS
from tests.e2e.test_workplace_browser import (
    AXE,
    _axe,
    _registry,
    _spec,
)
from tests.e2e.workplace_site import CHROMIUM, serving, sign_in, write_config

pytestmark = pytest.mark.slow

ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "workplace-board"
EMAIL = "sanne.staf@wiz.example"
PASSWORD = "een lange zin als wachtwoord"

PARKING = [
    "Het parkeren bij het ziekenhuis kost personeel elke ochtend veel tijd in de parkeergarage.",
    "Parkeerplaatsen bij het ziekenhuis zijn schaars, collega's parkeren ver weg in de wijk.",
    "Betaald parkeren in de parkeergarage van het ziekenhuis is te duur voor personeel.",
]
NIGHTS = [
    "Het rooster voor nachtdiensten verschijnt pas een week vooraf, gezinnen kunnen niets plannen.",
    "Oudere collega's willen minder nachtdiensten, maar het rooster houdt geen rekening met hen.",
]
SELF_ROSTER = [
    "Met zelfroosteren kiezen teams zelf wie welke nachtdiensten draait in het rooster.",
    "Na drie nachtdiensten op rij plant het rooster te weinig rustdagen na de nachtdiensten.",
]
LATE = "Collega's zoeken elke dag een parkeerplaats bij het ziekenhuis; de parkeergarage is vol."
# The other theme, for the keyboard.
STAGES = [
    "Studenten van het mbo vinden te weinig stageplaatsen in de wijkverpleging.",
    "Praktijkopleiders hebben geen tijd voor de begeleiding van studenten op de stageplaats.",
]
LATE_STAGE = "Meer stageplaatsen voor studenten met begeleiding door een vaste praktijkopleider."


@dataclass
class Site:
    base_url: str
    round_id: int
    totp_secret: str
    blocks: dict[str, int]
    late: int
    late_stage: int


def _seed(session: Any, round_id: int) -> tuple[dict[str, int], int, int]:
    """Blocks as a synthesis leaves them (made directly, so the test does not depend on how
    the pipeline groups a dozen texts), and one late contribution per theme in no block."""
    people = list(
        session.scalars(select(Invitation.person_id).where(Invitation.round_id == round_id))
    )
    themes = {t.slug: t.id for t in session.scalars(select(Theme))}

    def add(text: str, n: int, theme: str) -> Contribution:
        contribution = Contribution(
            round_id=round_id,
            person_id=people[n % len(people)],
            theme_id=themes[theme],
            kind=ContributionKind.PRE_SESSION_ANSWER,
            text=text,
            quote_permission=QuotePermission.ROLE_ONLY,
        )
        session.add(contribution)
        return contribution

    def block(title: str, texts: list[str], theme: str, terms: list[str]) -> int:
        members = [add(t, n, theme) for n, t in enumerate(texts)]
        session.flush()
        made = BuildingBlock(
            round_id=round_id,
            theme_id=themes[theme],
            title=title,
            summary=texts[0],
            key_terms=terms,
            quote_ids=[m.id for m in members[:2]],
        )
        session.add(made)
        session.flush()
        for member in members:
            session.execute(
                block_contribution.insert().values(block_id=made.id, contribution_id=member.id)
            )
        return made.id

    blocks = {
        "parking": block("Parkeren bij het ziekenhuis", PARKING, "innovatie", ["parkeren"]),
        "nights": block("Nachtdiensten in het rooster", NIGHTS, "innovatie", ["nachtdiensten"]),
        "self": block("Zelf roosteren", SELF_ROSTER, "innovatie", ["zelfroosteren"]),
        "stages": block("Stageplaatsen", STAGES, "behoud_betrokkenheid", ["stageplaatsen"]),
    }
    late = add(LATE, 1, "innovatie")
    late_stage = add(LATE_STAGE, 2, "behoud_betrokkenheid")
    session.flush()
    return blocks, late.id, late_stage.id


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: apt-get install -y chromium (script/test does)")
    if not AXE.exists():
        pytest.fail("axe-core is missing: npm ci --prefix tests/browser_tools (script/test does)")
    workdir = tmp_path_factory.mktemp("workplace-board")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with _migrated_schema(_pg_base_url()) as database_url, EmlSink(workdir / "mail") as sink:
        # Word weights alone: the suggestions need no model for these texts.
        config = write_config(
            workdir,
            database_url,
            base_url,
            sink.port,
            extra='[synthesis]\nembedding_backend = "tfidf"\n',
        )
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv(CONFIG_ENV, str(config))
            settings = load_settings()
        with open_app(settings) as wired:
            with wired.db.unit_of_work() as session:
                sync_reference_data(session, wired.taxonomy)
                store_rows(session, _registry())
                round_id = launch_round(
                    session, _spec(), settings.organiser.name, settings.organiser.email
                ).round_id
                blocks, late, late_stage = _seed(session, round_id)
                made = add_account(
                    session, wired, EMAIL, Role.STAF, name="Sanne Staf", password=PASSWORD
                )
            assert made.totp_secret is not None
        with serving(config, port, workdir / "web.log"):
            yield Site(base_url, round_id, made.totp_secret, blocks, late, late_stage)


@pytest.fixture(scope="module")
def signed_in(site: Site, browser: Any) -> dict[str, Any]:
    """The browser state of a staff member who signed in with password and code (once: a
    TOTP code is accepted only once)."""
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, site.base_url, EMAIL, PASSWORD, site.totp_secret)
    state: dict[str, Any] = context.storage_state()
    context.close()
    return state


def _page(browser: Any, state: dict[str, Any]) -> tuple[Any, Any]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    AXE_REPORTS.mkdir(parents=True, exist_ok=True)  # where _axe writes its findings
    # axe-core is injected as a script; the app's policy allows none of its own.
    context = browser.new_context(
        bypass_csp=True, viewport={"width": 1200, "height": 900}, storage_state=state
    )
    return context, context.new_page()


def _axe_board(page: Any, name: str) -> list[str]:
    # Every <details> open, so axe also checks the forms staff open.
    page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
    found = _axe(page, name)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = false)")
    return found


def test_staff_place_from_the_tray_merge_and_approve_a_theme(
    site: Site, browser: Any, signed_in: dict[str, Any]
) -> None:
    context, page = _page(browser, signed_in)
    found: list[str] = []
    board = f"{site.base_url}/werkplek/rondes/{site.round_id}/bouwstenen"

    page.goto(board)
    assert page.get_by_role("heading", level=1).inner_text().startswith("Bouwstenen van")
    found += _axe(page, "1-themes")
    page.get_by_role("link", name="Innovatie").click()
    page.wait_for_url("**/bouwstenen/innovatie")
    found += _axe_board(page, "2-board")

    # The late contribution, placed with one click on its top suggestion.
    item = page.locator(f"#bijdrage-{site.late}")
    top = item.get_by_role("button", name="Plaats in").first
    assert "Parkeren bij het ziekenhuis" in top.inner_text()
    top.click()
    page.wait_for_url("**melding=verplaatst*")
    assert "Geplaatst in bouwsteen" in page.get_by_role("status").first.inner_text()
    parking = page.locator(f"section[aria-labelledby='blok-{site.blocks['parking']}']")
    assert "4 bijdragen" in parking.inner_text()
    assert page.locator(f"#bijdrage-{site.late}").count() == 0

    # Two blocks about night shifts become one.
    page.get_by_text("Bouwstenen samenvoegen").click()
    page.get_by_label("Zelf roosteren (2)").check()
    page.get_by_label("In bouwsteen").select_option(str(site.blocks["nights"]))
    page.get_by_role("button", name="Samenvoegen", exact=True).click()
    page.wait_for_url("**melding=samengevoegd*")
    assert "samengevoegd in bouwsteen" in page.get_by_role("status").first.inner_text()
    assert page.locator(f"#blok-{site.blocks['self']}").count() == 0
    nights = page.locator(f"section[aria-labelledby='blok-{site.blocks['nights']}']")
    assert "4 bijdragen" in nights.inner_text()
    found += _axe_board(page, "3-board-merged")

    page.get_by_role("button", name="Alle 2 conceptbouwstenen van dit thema goedkeuren").click()
    page.wait_for_url("**melding=alles-goedgekeurd*")
    assert "2 bouwstenen van dit thema zijn goedgekeurd" in (
        page.get_by_role("status").first.inner_text()
    )
    assert page.locator("section.card.status-approved").count() == 2
    found += _axe_board(page, "4-board-approved")

    # Search: every word, any case; the hit names its block.
    page.goto(f"{site.base_url}/werkplek/rondes/{site.round_id}/bijdragen")
    page.get_by_label("Zoeken op woorden").fill("PARKEERGARAGE")
    page.get_by_role("button", name="Zoeken", exact=True).click()
    page.wait_for_url("**/bijdragen?q=PARKEERGARAGE*")
    hits = page.locator("li.hit")
    assert hits.count() == 3
    assert "Parkeren bij het ziekenhuis" in page.get_by_role("main").inner_text()
    found += _axe(page, "5-search")
    page.screenshot(path=str(ARTIFACTS / "5-search.png"), full_page=True)
    context.close()
    assert found == []


def _focus_outline(page: Any) -> str:
    return str(
        page.evaluate(
            "() => { const s = getComputedStyle(document.activeElement);"
            " return s.outlineStyle + ' ' + s.boxShadow; }"
        )
    )


def test_the_board_is_operated_by_keyboard_alone(
    site: Site, browser: Any, signed_in: dict[str, Any]
) -> None:
    context, page = _page(browser, signed_in)
    page.goto(f"{site.base_url}/werkplek/rondes/{site.round_id}/bouwstenen/behoud_betrokkenheid")
    stages = site.blocks["stages"]

    def tab_to(check: str, limit: int = 200) -> None:
        """Tab until the focused element matches the JavaScript test `check` (on `el`)."""
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(f"() => {{ const el = document.activeElement; return {check}; }}"):
                assert "solid" in _focus_outline(page), _focus_outline(page)
                return
        raise AssertionError(f"never reached by Tab: {check}")

    # Open the card's decisions with Enter, rename with the keyboard, submit with Enter.
    tab_to("el.tagName === 'SUMMARY' && el.textContent.includes('Besluiten over')")
    page.keyboard.press("Enter")
    tab_to(f"el.id === 'titel-{stages}'")
    page.keyboard.press("Control+A")
    page.keyboard.type("Meer en betere stageplaatsen")
    page.keyboard.press("Enter")
    page.wait_for_url("**melding=hernoemd*")
    assert page.get_by_role("heading", name="Meer en betere stageplaatsen").is_visible()

    # The tray's top suggestion, reached with Tab and pressed with Enter.
    tab_to("el.tagName === 'BUTTON' && el.textContent.startsWith('Plaats in')")
    assert "Meer en betere stageplaatsen" in page.evaluate(
        "() => document.activeElement.textContent"
    )
    page.keyboard.press("Enter")
    page.wait_for_url("**melding=verplaatst*")
    card = page.locator(f"section[aria-labelledby='blok-{stages}']")
    assert "3 bijdragen" in card.inner_text()

    # Approve it with the keyboard too.
    tab_to("el.tagName === 'SUMMARY' && el.textContent.includes('Besluiten over')")
    page.keyboard.press("Enter")
    tab_to("el.tagName === 'BUTTON' && el.textContent === 'Goedkeuren'")
    page.keyboard.press("Enter")
    page.wait_for_url("**melding=goedgekeurd*")
    assert "is goedgekeurd" in page.get_by_role("status").first.inner_text()
    found = _axe_board(page, "6-keyboard-board")
    context.close()
    assert found == []
