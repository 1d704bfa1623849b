"""Lineage and reports in a real browser (Debian's headless Chromium, Playwright) against
`consult web` in its own process on PostgreSQL: a staff member signs in, writes the Dutch report
from the round's reports page, downloads the Word file and finds a moved contribution's text in
its annex, then follows a block to its contributions, a contribution to its session and back to
the round. axe-core finds no serious or critical WCAG 2.1 A/AA violation on any of these pages.
Screenshots go to test-artifacts/workplace/.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import docx
import pytest
from sqlalchemy import select

from consult.app.accounts import add_account
from consult.mail.sink import EmlSink, free_port
from consult.registry.store import store_rows, sync_reference_data
from consult.rounds.launch import launch_round
from consult.settings import CONFIG_ENV, load_settings
from consult.wiring import open_app
from models import Invitation, Role
from models.base import utcnow
from tests.conftest import _migrated_schema, _pg_base_url
from tests.e2e.test_workplace_browser import (
    ARTIFACTS,
    AXE,
    PASSWORD,
    ROUND_NAME,
    _axe,
    _registry,
    _spec,
)
from tests.e2e.workplace_site import CHROMIUM, serving, sign_in, write_config
from tests.integration.web.lineage_support import MOVED, SECRET, Lineage, seed_lineage

pytestmark = pytest.mark.slow

STAFF = "sem.staf@wiz.example"


@dataclass
class Site:
    base_url: str
    totp_secret: str
    lineage: Lineage


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: apt-get install -y chromium (script/test does)")
    if not AXE.exists():
        pytest.fail("axe-core is missing: npm ci --prefix tests/browser_tools (script/test does)")
    workdir = tmp_path_factory.mktemp("lineage")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with _migrated_schema(_pg_base_url()) as database_url, EmlSink(workdir / "mail") as sink:
        config = write_config(workdir, database_url, base_url, sink.port)
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
                assert session.scalars(
                    select(Invitation.id).where(Invitation.round_id == round_id)
                ).all()
                made = add_account(
                    session, wired, STAFF, Role.STAF, name="Sem Staf", password=PASSWORD
                )
            assert made.totp_secret is not None
            lineage = seed_lineage(wired, round_id, utcnow())
        with serving(config, port, workdir / "web.log"):
            yield Site(base_url, made.totp_secret, lineage)


def test_staff_download_the_word_report_and_follow_lineage_both_ways(
    site: Site,
    browser: Any,
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(
        bypass_csp=True, viewport={"width": 1200, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    found: list[str] = []
    ids = site.lineage

    sign_in(page, site.base_url, STAFF, PASSWORD, site.totp_secret)

    # From the round's dashboard to its reports; write the Dutch, approved-only report.
    page.get_by_role("link", name=ROUND_NAME).click()
    page.wait_for_url("**/werkplek/rondes/*")
    page.get_by_role("link", name="Rapporten van deze ronde").click()
    page.wait_for_url("**/rapporten")
    main = page.get_by_role("main").inner_text()
    assert "Voor deze ronde is nog geen rapport geschreven." in main
    found += _axe(page, "lineage-1-reports-empty")
    page.get_by_label("Nederlands").check()
    page.get_by_label("Alleen goedgekeurde (het rapport om te publiceren)").check()
    page.get_by_role("button", name="Rapport schrijven").click()
    page.wait_for_url("**/rapporten?melding=geschreven", timeout=60_000)
    assert "Het rapport is geschreven" in page.get_by_role("status").inner_text()
    found += _axe(page, "lineage-2-reports")
    page.screenshot(path=str(ARTIFACTS / "lineage-2-reports.png"), full_page=True)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Word").first.click()
    download = download_info.value
    assert download.suggested_filename == "report.nl.docx"
    paragraphs = [p.text for p in docx.Document(str(download.path())).paragraphs]
    annex = paragraphs[paragraphs.index("Bijlage: de bijdragen waarop de bouwstenen rusten") :]
    assert any(p.startswith(f"#{ids.moved}  “{MOVED}”") for p in annex), annex
    assert not any(SECRET in p for p in paragraphs)

    # Block → contribution → session → round, each one click.
    page.goto(f"{site.base_url}/werkplek/bouwstenen/{ids.block_id}")
    assert page.get_by_role("heading", level=1).inner_text() == "Leren in de wijk"
    found += _axe(page, "lineage-3-block")
    page.screenshot(path=str(ARTIFACTS / "lineage-3-block.png"), full_page=True)
    page.get_by_role("link", name=f"Bijdrage #{ids.named}").first.click()
    page.wait_for_url(f"**/werkplek/bijdragen/{ids.named}")
    found += _axe(page, "lineage-4-contribution")
    page.screenshot(path=str(ARTIFACTS / "lineage-4-contribution.png"), full_page=True)
    page.get_by_role("link", name="Innovatie, groep 2").click()
    page.wait_for_url(f"**/werkplek/sessies/{ids.session_id}")
    found += _axe(page, "lineage-5-session")
    page.screenshot(path=str(ARTIFACTS / "lineage-5-session.png"), full_page=True)
    # And back: the session's contribution, then its block.
    page.get_by_role("link", name=f"Bijdrage #{ids.by_role}").click()
    page.wait_for_url(f"**/werkplek/bijdragen/{ids.by_role}")
    page.get_by_role("link", name="Leren in de wijk").click()
    page.wait_for_url(f"**/werkplek/bouwstenen/{ids.block_id}")
    page.get_by_role("link", name=f"Terug naar {ROUND_NAME}").click()
    page.wait_for_url(f"**/werkplek/rondes/{ids.round_id}")
    context.close()

    assert found == []
