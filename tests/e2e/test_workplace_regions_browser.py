"""Session notes and the regional view in a real browser (Debian's headless Chromium through
Playwright, `consult web` in its own process on PostgreSQL): a facilitator of the secretariat
records three notes during a session, under the app's own content security policy, and finds
them stored as contributions of the session; a draft typed and left survives a reload; a
coordinator of Twente sees Twente's participation and is refused Zwolle's page. axe-core finds
no serious or critical violation on these pages. Screenshots go to test-artifacts/regions/.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
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
    ConsultationSession,
    Contribution,
    Invitation,
    InvitationStatus,
    Person,
    Role,
    SessionAttendee,
    Theme,
)
from models.db import Database
from tests.conftest import _migrated_schema, _pg_base_url
from tests.e2e.test_workplace_browser import ARTIFACTS as AXE_ARTIFACTS
from tests.e2e.test_workplace_browser import (
    AXE,
    PASSWORD,
    ROUND_NAME,
    _axe,
    _day,
    _registry,
    _spec,
)
from tests.e2e.workplace_site import CHROMIUM, serving, sign_in, write_config

pytestmark = pytest.mark.slow

ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "regions"
FACILITATOR = "sanne.visser@wiz.example"
COORDINATOR = "tom.kuipers@netwerk-twente.example"
SEATED = ("bram@ggz-twente.example", "carla@zkh-zwolle.example")
NOTES = [
    (
        "notitie",
        "Begeleiders hebben te weinig tijd voor stagiairs.",
        "Geestelijke gezondheidszorg",
        "Twente",
    ),
    ("geleerde les", "Een vaste buddy houdt zij-instromers binnen.", "Ziekenhuizen", "Zwolle"),
    (
        "notitie",
        "Regels over declareren kosten teams uren per week.",
        "Geestelijke gezondheidszorg",
        "Twente",
    ),
]


@dataclass
class Site:
    base_url: str
    database_url: str
    session_id: int
    facilitator_totp: str
    coordinator_totp: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: apt-get install -y chromium (script/test does)")
    if not AXE.exists():
        pytest.fail("axe-core is missing: npm ci --prefix tests/browser_tools (script/test does)")
    workdir = tmp_path_factory.mktemp("regions")
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
                # One innovation session, Twente's GGZ and Zwolle's hospital seated in it.
                theme_id = session.scalars(select(Theme.id).where(Theme.slug == "innovatie")).one()
                planned = ConsultationSession(
                    round_id=round_id,
                    theme_id=theme_id,
                    start=_day(10, 10),
                    end=_day(10, 10) + timedelta(minutes=90),
                    meeting_url="https://meet.example/innovatie-1",
                    calendar_uid="innovatie-1@wiz.example",
                )
                session.add(planned)
                session.flush()
                for email in SEATED:
                    person = session.scalars(select(Person).where(Person.email == email)).one()
                    session.add(SessionAttendee(session_id=planned.id, person_id=person.id))
                    for invitation in session.scalars(
                        select(Invitation).where(Invitation.person_id == person.id)
                    ):
                        invitation.status = InvitationStatus.ACCEPTED
                facilitator = add_account(
                    session, wired, FACILITATOR, Role.SECRETARIAAT, password=PASSWORD
                )
                coordinator = add_account(
                    session,
                    wired,
                    COORDINATOR,
                    Role.REGIOCOORDINATOR,
                    password=PASSWORD,
                    regions=["Twente"],
                )
                session_id = planned.id
            assert facilitator.totp_secret and coordinator.totp_secret
        with serving(config, port, workdir / "web.log"):
            yield Site(
                base_url,
                database_url,
                session_id,
                facilitator.totp_secret,
                coordinator.totp_secret,
            )


def _checked_by_axe(browser: Any, signed_in: Any, url: str, name: str) -> list[str]:
    """axe-core on `url`, in a context that lets its script in (the app's policy does not) and
    carries the signed-in context's cookies."""
    context = browser.new_context(bypass_csp=True, viewport={"width": 1200, "height": 900})
    context.add_cookies(signed_in.cookies())
    page = context.new_page()
    page.goto(url)
    found = _axe(page, name)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    context.close()
    return found


def test_a_facilitator_records_three_notes_and_a_draft_survives_a_reload(
    site: Site, browser: Any
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # axe's findings are written next to the other workplace pages'.
    AXE_ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # The app's own content security policy: the draft script must work under it.
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    sign_in(page, site.base_url, FACILITATOR, PASSWORD, site.facilitator_totp)
    page.wait_for_url("**/werkplek/")
    page.get_by_role("link", name=ROUND_NAME).click()
    page.wait_for_url("**/werkplek/rondes/*")
    # The session's notes, from the count of notes in the round's list of sessions.
    page.get_by_role("link", name="Sessienotities van Innovatie, groep 1").click()
    notes_url = f"{site.base_url}/werkplek/sessies/{site.session_id}/notities"
    page.wait_for_url(notes_url)
    assert page.get_by_role("heading", level=1).inner_text() == "Notities van de sessie"

    # A draft typed and the tab reloaded (as after a crash): it is still there.
    box = page.get_by_label("Wat er gezegd werd")
    box.fill("Een half opgeschreven gedachte")
    page.reload()
    assert page.get_by_label("Wat er gezegd werd").input_value() == (
        "Een half opgeschreven gedachte"
    )
    assert "Een concept dat nog niet was opgeslagen" in page.locator("#text-hint").inner_text()

    for kind, text, sector, region in NOTES:
        page.get_by_label("Soort").select_option(label=kind)
        page.get_by_label("Wat er gezegd werd").fill(text)
        page.get_by_label("Sector van de spreker").select_option(label=sector)
        page.get_by_label("Regio van de spreker").select_option(label=region)
        page.get_by_label("Toestemming om te citeren").select_option("role_only")
        page.get_by_role("button", name="Notitie opslaan").click()
        page.wait_for_url(f"{notes_url}#new-note")
        assert "De notitie is opgeslagen." in page.get_by_role("status").inner_text()
        # Saved, so the draft is gone: the box is empty, also after a reload.
        assert page.get_by_label("Wat er gezegd werd").input_value() == ""
        page.reload()
        assert page.get_by_label("Wat er gezegd werd").input_value() == ""
    listed = page.locator("ol.notes > li").all_inner_texts()
    assert [text for _, text, _, _ in reversed(NOTES)] == [
        item.splitlines()[-1].strip() for item in listed
    ]
    page.screenshot(path=str(ARTIFACTS / "1-notes.png"), full_page=True)

    db = Database(site.database_url)
    try:
        with db.unit_of_work() as session:
            stored = session.scalars(
                select(Contribution)
                .where(Contribution.session_id == site.session_id)
                .order_by(Contribution.id)
            ).all()
            assert [(c.kind.value, c.text, c.region) for c in stored] == [
                ("session_note", NOTES[0][1], "Twente"),
                ("lesson_learned", NOTES[1][1], "Zwolle"),
                ("session_note", NOTES[2][1], "Twente"),
            ]
            assert [c.sector for c in stored] == ["ggz", "ziekenhuis", "ggz"]
    finally:
        db.dispose()

    found = _checked_by_axe(browser, context, notes_url, "2-notes-axe")
    found += _checked_by_axe(
        browser, context, page.url.split("/werkplek/")[0] + "/werkplek/", "3-rounds"
    )
    context.close()
    assert found == []


def test_a_twente_coordinator_sees_twente_and_is_refused_zwolle(site: Site, browser: Any) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # axe's findings are written next to the other workplace pages'.
    AXE_ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    sign_in(page, site.base_url, COORDINATOR, PASSWORD, site.coordinator_totp)
    page.wait_for_url("**/werkplek/regio")
    assert page.get_by_role("heading", level=1).inner_text() == "Regio's"
    assert page.get_by_role("link", name="Zwolle").count() == 0
    page.get_by_role("main").get_by_role("link", name="Twente").click()
    page.wait_for_url("**/werkplek/regio/Twente")
    main = page.get_by_role("main").inner_text()
    assert "Zorggroep Twente GGZ" in main and "Zorggroep Twente MBO" in main
    assert "Zwolle" not in main and "Achterhoek" not in main
    twente_url = page.url

    refused = page.goto(f"{site.base_url}/werkplek/regio/Zwolle")
    assert refused is not None and refused.status == 403
    assert "Geen toegang" in page.get_by_role("main").inner_text()
    assert "Zorggroep Zwolle" not in page.content()

    found = _checked_by_axe(browser, context, f"{site.base_url}/werkplek/regio", "4-regions")
    found += _checked_by_axe(browser, context, twente_url, "5-twente")
    found += _checked_by_axe(browser, context, f"{site.base_url}/werkplek/regio/Zwolle", "6-zwolle")
    context.close()
    assert found == []
