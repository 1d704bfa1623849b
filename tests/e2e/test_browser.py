"""An invitee in a real browser: Debian's headless Chromium, driven by Playwright, with
JavaScript switched off. The app runs as `consult web` in its own process on a SQLite file; the
invitation reaches a real SMTP server (EmlSink) through the outbox, and the browser opens the
link from that .eml. It ranks the themes, ticks times and accepts in one step, gets scheduled,
downloads the .ics, reaches the input form and submits input; a refused answer keeps what was
chosen; the database, the confirmation emails and the Prefect events
(on the test Prefect server) are checked afterwards. Screenshots go to test-artifacts/browser/.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from icalendar import Calendar
from sqlalchemy import select

from consult.app import scheduling
from consult.mail.outbox import send_due
from consult.mail.sink import EmlSink, free_port
from consult.registry.parsing import RegistryRow
from consult.registry.store import store_rows, sync_reference_data
from consult.rounds.invite import queue_invitations
from consult.rounds.launch import launch_round
from consult.settings import CONFIG_ENV, PROJECT_ROOT, load_settings
from consult.spec import RoundSpec, SlotSpec, ThemeSpec
from consult.wiring import App, open_app
from models import (
    Availability,
    Contribution,
    Invitation,
    InvitationStatus,
    Person,
    QuotePermission,
)
from models.base import utcnow
from models.migrate import upgrade

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "browser"
# axe-core from npm (tests/browser_tools, installed by script/test).
AXE = PROJECT_ROOT / "tests" / "browser_tools" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AMS = ZoneInfo("Europe/Amsterdam")
INVITEE = "anneke.devries@zorg-achterhoek.example"


def _day(days: int, hour: int) -> datetime:
    """A time `days` from now at `hour` Dutch time: the app runs on the real clock."""
    day = (utcnow() + timedelta(days=days)).astimezone(AMS).date()
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=AMS)


def _spec() -> RoundSpec:
    def slot(days: int, hour: int) -> SlotSpec:
        return SlotSpec(start=_day(days, hour), end=_day(days, hour) + timedelta(minutes=90))

    return RoundSpec(
        slug="browser-ronde",
        name="Consultatieronde najaar",
        answer_deadline=_day(7, 17),
        input_deadline=_day(40, 23),
        # Dates relative to today may fall on a holiday; these tests are about the pages.
        holiday_slots="warn",
        invitees_per_theme=2,
        # One invitee may make a group here: these tests are about the pages, not the mix.
        group_min=1,
        group_max=6,
        min_sectors=0,
        themes=[
            ThemeSpec(slug="innovatie", slots=[slot(10, 10), slot(12, 14), slot(14, 10)]),
            # 12 days from now at 14:00 is a time of both themes: the page asks it once.
            ThemeSpec(slug="behoud_betrokkenheid", slots=[slot(11, 10), slot(12, 14)]),
        ],
    )


def _registry() -> list[RegistryRow]:
    people = [
        ("Anneke de Vries", INVITEE, "vvt", "Achterhoek"),
        ("Bram Jansen", "bram.jansen@ggz-twente.example", "ggz", "Twente"),
        ("Carla Smit", "carla.smit@zkh-zwolle.example", "ziekenhuis", "Zwolle"),
        ("Daan Bakker", "daan.bakker@mbo-twente.example", "mbo", "Twente"),
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
            language="nl",
        )
        for n, (name, address, sector, region) in enumerate(people)
    ]


@dataclass
class Site:
    base_url: str
    wired: App
    mail_dir: Path
    round_id: int
    prefect_api: str

    def mail(self) -> list[EmailMessage]:
        found = []
        for path in sorted(self.mail_dir.glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            found.append(message)
        return found

    def mail_to(self, address: str, subject_start: str) -> list[EmailMessage]:
        return [
            m
            for m in self.mail()
            if m["To"].addresses[0].addr_spec == address
            and str(m["Subject"]).startswith(subject_start)
        ]

    def wait_for_mail(self, address: str, subject_start: str, timeout: float = 20) -> EmailMessage:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.mail_to(address, subject_start)
            if found:
                return found[-1]
            time.sleep(0.2)
        raise AssertionError(f"no mail '{subject_start}...' to {address} within {timeout} s")


def _body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None
    content = part.get_content()
    assert isinstance(content, str)
    return content


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: apt-get install -y chromium (.ci/run does)")
    from prefect.settings import PREFECT_API_URL

    workdir = tmp_path_factory.mktemp("browser")
    database_url = f"sqlite:///{workdir / 'consult.db'}"
    upgrade(database_url)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with EmlSink(workdir / "mail") as sink:
        config = workdir / "consult.toml"
        config.write_text(
            f'database_url = "{database_url}"\n'
            f'base_url = "{base_url}"\n'
            'secret_key = "browser-test-secret"\n'
            f'config_dir = "{PROJECT_ROOT / "config"}"\n'
            f'templates_dir = "{PROJECT_ROOT / "templates"}"\n'
            f'reports_dir = "{workdir / "reports"}"\n'
            f"[smtp]\nport = {sink.port}\nretry_wait_s = 0\n"
            # Mail leaves without a review of its mailing: these pages are the invitees'.
            "[mail]\nrequire_approval = false\n",
            encoding="utf-8",
        )
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv(CONFIG_ENV, str(config))
            settings = load_settings()
        with open_app(settings) as wired:
            # The secretariat's side, through the services: registry, launch, invitations.
            with wired.db.unit_of_work() as session:
                sync_reference_data(session, wired.taxonomy)
                store_rows(session, _registry())
                round_id = launch_round(
                    session, _spec(), settings.organiser.name, settings.organiser.email
                ).round_id
                ids = session.scalars(select(Invitation.id).where(Invitation.round_id == round_id))
                queue_invitations(session, wired.mail_context(), list(ids))
            import asyncio

            sending = send_due(wired.db, settings.smtp, settings.organiser, sealer=wired.sealer)
            counts = asyncio.run(sending)
            assert counts.sent == 4

            # The app as operators start it.
            prefect_api = str(PREFECT_API_URL.value())
            env = {
                **os.environ,
                CONFIG_ENV: str(config),
                "PREFECT_API_URL": prefect_api,
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            }
            log = (workdir / "web.log").open("wb")
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "consult",
                    "web",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                _wait_until_healthy(base_url, server, workdir / "web.log")
                yield Site(base_url, wired, sink.directory, round_id, prefect_api)
            finally:
                server.terminate()
                server.wait(timeout=15)
                log.close()


def _wait_until_healthy(base_url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"consult web exited:\n{log.read_text(errors='replace')}")
        try:
            response = httpx.get(f"{base_url}/health", timeout=2)
            if response.status_code == 200:
                assert response.json() == {"status": "ok", "database": "ok"}
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"consult web did not answer /health:\n{log.read_text(errors='replace')}")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def _axe(browser: Any, url: str, html: str | None = None) -> list[str]:
    """axe-core's WCAG 2.1 AA violations on the page at `url`, or on `html` served as that
    page (what a POST answered). axe is a script: it runs in a context of its own with
    JavaScript on and the site's policy against scripts set aside; the page's stylesheet comes
    from the site, so contrast is judged as shown."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: npm ci --prefix tests/browser_tools (script/test does)")
    context = browser.new_context(bypass_csp=True, viewport={"width": 1000, "height": 900})
    try:
        page = context.new_page()
        if html is not None:
            page.route(url, lambda route: route.fulfill(body=html, content_type="text/html"))
        page.goto(url)
        page.add_script_tag(path=str(AXE))
        found: list[str] = page.evaluate(
            """async (tags) => {
                const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
                return result.violations.map(
                    (v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target).join(", ")}`
                );
            }""",
            WCAG_AA,
        )
        return found
    finally:
        context.close()


def _prefect_events(
    site: Site, resource_ids: set[str], timeout: float = 30
) -> list[dict[str, Any]]:
    """Events about these resources on the test Prefect server (sent in the background)."""
    deadline = time.monotonic() + timeout
    found: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        response = httpx.post(
            f"{site.prefect_api}/events/filter",
            json={
                "filter": {
                    "event": {"prefix": ["consult."]},
                    "occurred": {"since": "2000-01-01T00:00:00Z"},
                    "resource": {"id": sorted(resource_ids)},
                },
                "limit": 50,
            },
            timeout=10,
        )
        response.raise_for_status()
        found = [
            e
            for e in response.json()["events"]
            if e["resource"]["prefect.resource.id"] in resource_ids
        ]
        if {e["resource"]["prefect.resource.id"] for e in found} >= resource_ids:
            return found
        time.sleep(0.5)
    raise AssertionError(f"events for {sorted(resource_ids)} not in Prefect; got {found}")


def test_an_invitee_answers_picks_times_and_submits_input_in_a_real_browser(
    site: Site, browser: Any
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    invitation_mail = site.wait_for_mail(INVITEE, "Uitnodiging")
    match = re.search(
        re.escape(site.base_url) + r"/i/[A-Za-z0-9_-]+", _body(invitation_mail, "plain")
    )
    assert match, "no personal link in the invitation email"
    link = match.group(0)
    assert f'href="{link}"' in _body(invitation_mail, "html")

    # No JavaScript: everything must work with plain HTML forms.
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1000, "height": 900}
    )
    page = context.new_page()
    page.goto(link)
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.get_by_role("heading", level=1).inner_text() == "Consultatieronde najaar"

    # Before answering, the page shows the themes to put in order and every candidate time
    # once (five slots, four times): the answer, the order and the times go in one form.
    assert page.get_by_role("heading", name="Doet u mee?").is_visible()
    page.get_by_label("Keuze 1").select_option("innovatie")
    page.get_by_label("Keuze 2").select_option("behoud_betrokkenheid")
    times = page.get_by_role("group", name="Momenten waarop u kunt").get_by_role("checkbox")
    assert times.count() == 4
    times.nth(0).check()
    times.nth(2).check()  # the time both themes share
    page.screenshot(path=str(ARTIFACTS / "0-invitation-pending.png"), full_page=True)
    assert _axe(browser, link) == []
    page.get_by_role("button", name="Ja, ik doe mee").click()
    page.wait_for_url("**?saved=accepted")
    assert "Dank u wel: u doet mee" in page.get_by_role("status").inner_text()
    assert [page.get_by_role("checkbox").nth(n).is_checked() for n in range(4)] == [
        True,
        False,
        True,
        False,
    ]

    # Changed later in the form for people taking part.
    page.get_by_role("checkbox").nth(0).uncheck()
    page.get_by_role("button", name="Beschikbaarheid opslaan").click()
    page.wait_for_url("**?saved=availability")
    assert not page.get_by_role("checkbox").nth(0).is_checked()
    assert page.get_by_role("checkbox").nth(2).is_checked()
    page.screenshot(path=str(ARTIFACTS / "1-invitation-accepted.png"), full_page=True)
    assert _axe(browser, page.url) == []

    with site.wired.db.unit_of_work() as session:
        person = session.scalars(select(Person).where(Person.email == INVITEE)).one()
        invitation = session.scalars(
            select(Invitation).where(Invitation.person_id == person.id)
        ).one()
        assert invitation.status == InvitationStatus.ACCEPTED
        assert invitation.theme_preferences == ["innovatie", "behoud_betrokkenheid"]
        marked = session.scalars(
            select(Availability).where(Availability.invitation_id == invitation.id)
        ).all()
        # The one ticked time, for each theme that has a slot then.
        assert len(marked) == 2
        invitation_id, person_id = invitation.id, person.id
    confirmation = site.wait_for_mail(INVITEE, "Bevestiging: u doet mee")
    assert site.base_url + "/i/" in _body(confirmation, "plain")

    # The secretariat schedules the round; the page then shows the session.
    with site.wired.db.unit_of_work() as session:
        scheduling.schedule(session, site.wired, site.round_id, utcnow())
    page.reload()
    assert page.get_by_role("heading", name="Uw sessie").is_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Zet de sessie in uw agenda (.ics-bestand)").click()
    ics = Path(download.value.path()).read_bytes()
    event = Calendar.from_ical(ics).walk("VEVENT")[0]
    assert "Innovatie" in str(event["SUMMARY"])

    page.get_by_role("link", name="Naar het inbrengformulier").click()
    page.wait_for_url("**/input")
    questions = site.wired.taxonomy.themes[1].questions_nl
    page.get_by_label(questions[0], exact=True).fill(
        "Leerwerkplekken in de wijk: studenten draaien mee met een vast team.\n\nDat werkt."
    )
    page.locator("#permission-q1-attributable").check()
    page.get_by_label(questions[1], exact=True).fill("Geen <script>alert(1)</script> hier.")
    page.get_by_role("button", name="Inbreng versturen").click()
    page.wait_for_url("**/input?saved=submitted")
    assert "uw inbreng is ingediend" in page.get_by_role("status").inner_text()
    assert page.get_by_label(questions[1], exact=True).input_value() == (
        "Geen <script>alert(1)</script> hier."
    )
    page.screenshot(path=str(ARTIFACTS / "2-input-submitted.png"), full_page=True)
    assert _axe(browser, page.url) == []
    context.close()

    with site.wired.db.unit_of_work() as session:
        rows = session.scalars(
            select(Contribution)
            .where(Contribution.person_id == person_id)
            .order_by(Contribution.id)
        ).all()
        assert [(r.draft, r.quote_permission) for r in rows] == [
            (False, QuotePermission.ATTRIBUTABLE),
            (False, QuotePermission.ROLE_ONLY),
        ]
        assert rows[0].text.endswith("Dat werkt.") and "\r" not in rows[0].text
        assert rows[1].text == "Geen <script>alert(1)</script> hier."
        contribution_ids = [r.id for r in rows]
    site.wait_for_mail(INVITEE, "Bevestiging: uw inbreng")

    # Store, then signal: the events reached Prefect, carrying ids and no personal data.
    wanted = {f"consult.invitation.{invitation_id}"} | {
        f"consult.contribution.{cid}" for cid in contribution_ids
    }
    events = _prefect_events(site, wanted)
    assert {e["event"] for e in events} == {
        "consult.invitation.responded",
        "consult.contribution.submitted",
    }
    flat = repr(events).lower()
    assert "anneke" not in flat and "zorg-achterhoek" not in flat and "leerwerk" not in flat


def test_keyboard_users_start_at_a_visible_skip_link(site: Site, browser: Any) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    invitation_mail = site.wait_for_mail("bram.jansen@ggz-twente.example", "Uitnodiging")
    match = re.search(
        re.escape(site.base_url) + r"/i/[A-Za-z0-9_-]+", _body(invitation_mail, "plain")
    )
    assert match
    context = browser.new_context(viewport={"width": 1000, "height": 700})
    page = context.new_page()
    page.goto(match.group(0))
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    assert focused.inner_text() == "Naar de inhoud"
    box = focused.bounding_box()
    assert box is not None and box["y"] >= 0  # moved into view when focused
    page.screenshot(path=str(ARTIFACTS / "3-skip-link-focused.png"))
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    # The next stop after the skip link's target is the first control of the page's content:
    # the first place of the themes' order, in the answer form.
    assert page.locator(":focus").get_attribute("id") == "choice-1"
    context.close()


def test_a_refused_answer_says_why_and_keeps_what_was_chosen(site: Site, browser: Any) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    address = "carla.smit@zkh-zwolle.example"
    invitation_mail = site.wait_for_mail(address, "Uitnodiging")
    text = _body(invitation_mail, "plain").replace("\r\n", "\n")
    # The email asks what the page asks: the themes in order, not one theme.
    assert "in volgorde van voorkeur" in text
    assert "\nInnovatie\n" in text and "\nBehoud & betrokkenheid van zorgprofessionals\n" in text
    match = re.search(re.escape(site.base_url) + r"/i/[A-Za-z0-9_-]+", text)
    assert match
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1000, "height": 900}
    )
    page = context.new_page()
    page.goto(match.group(0))
    page.get_by_label("Keuze 1").select_option("behoud_betrokkenheid")
    page.get_by_label("Keuze 2").select_option("behoud_betrokkenheid")
    page.get_by_role("checkbox").nth(1).check()
    page.get_by_role("button", name="Ja, ik doe mee").click()

    summary = page.get_by_role("alert")
    assert "Er is iets niet goed gegaan" in summary.inner_text()
    assert "Kies elk thema precies één keer." in summary.inner_text()
    page.screenshot(path=str(ARTIFACTS / "4-answer-refused.png"), full_page=True)
    assert _axe(browser, page.url, page.content()) == []
    # What was chosen is still there, and the summary leads to the order of the themes.
    assert page.get_by_role("checkbox").nth(1).is_checked()
    assert page.get_by_label("Keuze 2").input_value() == "behoud_betrokkenheid"
    summary.get_by_role("link").click()
    assert page.url.endswith("#ranking")
    with site.wired.db.unit_of_work() as session:
        person = session.scalars(select(Person).where(Person.email == address)).one()
        invitation = session.scalars(
            select(Invitation).where(Invitation.person_id == person.id)
        ).one()
        assert invitation.status == InvitationStatus.PENDING
        invitation_id = invitation.id

    page.get_by_label("Keuze 2").select_option("innovatie")
    page.get_by_role("button", name="Ja, ik doe mee").click()
    page.wait_for_url("**?saved=accepted")
    assert page.get_by_role("checkbox").nth(1).is_checked()
    context.close()
    with site.wired.db.unit_of_work() as session:
        invitation = session.get_one(Invitation, invitation_id)
        assert invitation.status == InvitationStatus.ACCEPTED
        assert invitation.theme_preferences == ["behoud_betrokkenheid", "innovatie"]
        assert (
            len(
                session.scalars(
                    select(Availability).where(Availability.invitation_id == invitation_id)
                ).all()
            )
            == 1
        )
