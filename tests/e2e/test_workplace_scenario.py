"""The secretariat's whole afternoon in one browser session: Debian's headless Chromium, driven
by Playwright, against `consult web` in its own process on PostgreSQL, mail to a real SMTP
server (aiosmtpd) that refuses one address for good.

A secretariat member signs in with password and TOTP code, reads in a registry file with two
bad rows and sees them, launches a round from the form, previews and approves the invitation
mailing and sees the mail leave; an invitee answers through the link in the mail that arrived
and the answer shows on the dashboard; the refused address shows as bounced and, corrected,
gets its invitation. axe-core checks every page on the way (0 serious or critical).
"""

from __future__ import annotations

import email
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from consult.app.accounts import add_account
from consult.mail.sink import free_port
from consult.registry.store import sync_reference_data
from consult.settings import CONFIG_ENV, load_settings
from consult.spec import holiday_name
from consult.wiring import open_app
from models import Role, Round
from models.base import utcnow
from tests.conftest import _migrated_schema, _pg_base_url
from tests.e2e.test_workplace_browser import (
    AMS,
    ARTIFACTS,
    AXE,
    _axe,
)
from tests.e2e.workplace_site import CHROMIUM, serving, sign_in, write_config

pytestmark = pytest.mark.slow

EMAIL = "noor.hendriks@wiz.example"
PASSWORD = "een lange zin als wachtwoord"
ROUND_NAME = "Ronde van de hele middag"
REFUSED = "weg@zkh-zwolle.example"
CORRECTED = "carla.smit@zkh-zwolle.example"
REGISTRY_CSV = "\n".join(
    [
        "organisatie;sector;regio;naam;e-mailadres;functie",
        "Zorggroep Twente;vvt;Twente;Eva Evers;eva@zorg-twente.example;bestuurder",
        "GGZ Twente;ggz;Twente;Bram Jansen;bram@ggz-twente.example;bestuurder",
        f"Ziekenhuis Zwolle;ziekenhuis;Zwolle;Carla Smit;{REFUSED};bestuurder",
        "ROC Zwolle;mbo;Zwolle;Daan Bakker;daan@roc-zwolle.example;directeur",
        "Zorggroep Fout;vvt;Twente;Frank Fout;frank@@fout;bestuurder",
        "Tandartsen Oost;tandarts;Twente;Tim Tand;tim@tand.example;",
    ]
)


@dataclass
class Mailbox:
    """What the SMTP server accepted, by recipient; one address is refused at RCPT for good."""

    refuse: str
    received: list[tuple[str, Message]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address.lower() == self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content)
        with self.lock:
            self.received.extend((to.lower(), message) for to in envelope.rcpt_tos)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Message]:
        with self.lock:
            return [m for who, m in self.received if who == address]

    def wait_for(self, count: int, timeout: float = 30) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return len(self.received)
            time.sleep(0.2)
        with self.lock:
            return len(self.received)


@dataclass
class Site:
    base_url: str
    config: Path
    totp_secret: str
    mailbox: Mailbox


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: apt-get install -y chromium (script/test does)")
    if not AXE.exists():
        pytest.fail("axe-core is missing: npm ci --prefix tests/browser_tools (script/test does)")
    workdir = tmp_path_factory.mktemp("scenario")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    mailbox = Mailbox(REFUSED)
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        with _migrated_schema(_pg_base_url()) as database_url:
            # Mailings wait for the secretariat's approval, as they do by default.
            config = write_config(
                workdir,
                database_url,
                base_url,
                smtp.port,
                extra="[mail]\nrequire_approval = true\n",
            )
            with pytest.MonkeyPatch.context() as mp:
                mp.setenv(CONFIG_ENV, str(config))
                settings = load_settings()
            with open_app(settings) as wired, wired.db.unit_of_work() as session:
                sync_reference_data(session, wired.taxonomy)
                made = add_account(
                    session,
                    wired,
                    EMAIL,
                    Role.SECRETARIAAT,
                    name="Noor Hendriks",
                    password=PASSWORD,
                )
            assert made.totp_secret is not None
            with serving(config, port, workdir / "web.log"):
                yield Site(base_url, config, made.totp_secret, mailbox)
    finally:
        smtp.stop()


def _working_day_after(day: date) -> date:
    day += timedelta(days=1)
    while day.weekday() >= 5 or holiday_name(day) is not None:
        day += timedelta(days=1)
    return day


def _link_in(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            found = re.search(r"https?://\S+/i/[A-Za-z0-9_-]+", payload.decode("utf-8"))
            if found:
                return found.group(0)
    raise AssertionError("no personal link in the mail")


def _round_slug(config: Path) -> str:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(CONFIG_ENV, str(config))
        settings = load_settings()
    with open_app(settings) as wired, wired.db.unit_of_work() as session:
        return session.scalars(select(Round.slug).where(Round.name == ROUND_NAME)).one()


def test_the_secretariat_runs_a_round_from_registry_to_answer_in_the_browser(
    site: Site,
    browser: Any,
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(bypass_csp=True, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    found: list[str] = []

    # Signing in: password, then the code of the authenticator app.
    sign_in(page, site.base_url, EMAIL, PASSWORD, site.totp_secret)

    # The registry: two bad rows shown with their reason, the four good ones stored.
    page.goto(f"{site.base_url}/werkplek/register/inlezen")
    page.get_by_label("Bestand").set_input_files(
        files=[{"name": "register.csv", "mimeType": "text/csv", "buffer": REGISTRY_CSV.encode()}]
    )
    page.get_by_role("button", name="Bestand lezen").click()
    page.wait_for_url("**/register/inlezen/*")
    report = page.get_by_role("main").inner_text()
    assert "frank@@fout" in report and "tandarts" in report
    found += _axe(page, "scenario-1-registry-report")
    page.get_by_role("button", name="4 geldige rijen opslaan").click()
    page.wait_for_url("**/werkplek/register?melding=ingelezen*")
    assert "4 nieuwe personen" in page.get_by_role("status").first.inner_text()

    # Launching the round from the form, on a working day after the answer deadline.
    today = utcnow().astimezone(AMS).date()
    answer = _working_day_after(today + timedelta(days=10))
    session_day = _working_day_after(answer)
    page.goto(f"{site.base_url}/werkplek/")
    page.get_by_role("link", name="Nieuwe ronde").click()
    page.wait_for_url("**/werkplek/rondes/nieuw")
    page.fill("#name", ROUND_NAME)
    page.check("#themes")  # the first theme
    theme = page.locator("#themes").get_attribute("value")
    page.fill(f"#slot-{theme}-1-date", session_day.isoformat())
    page.fill(f"#slot-{theme}-1-start", "10:00")
    page.fill(f"#slot-{theme}-1-end", "11:30")
    page.fill("#answer_date", answer.isoformat())
    page.fill("#input_date", (answer + timedelta(days=50)).isoformat())
    page.fill("#invitees_per_theme", "4")
    page.fill("#group_min", "1")
    found += _axe(page, "scenario-2-launch")
    page.get_by_role("button", name="Controleren en starten", exact=True).click()
    page.wait_for_url("**/werkplek/rondes/*?melding=gestart*")
    assert page.get_by_role("heading", level=1).inner_text() == ROUND_NAME
    round_url = page.url.split("?")[0]

    # The service queues the invitations (here its command, run once); they wait for approval.
    queued = subprocess.run(
        [sys.executable, "-m", "consult", "round", "invite", _round_slug(site.config)],
        env={**os.environ, CONFIG_ENV: str(site.config)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert queued.returncode == 0, queued.stdout + queued.stderr
    assert site.mailbox.wait_for(1, timeout=2) == 0, "nothing leaves before the approval"
    page.goto(round_url)
    waiting = page.locator("#awaiting-approval")
    assert "4 berichten wachten op goedkeuring." in waiting.inner_text()
    found += _axe(page, "scenario-3-dashboard-waiting")

    # The invitation mailing: previewed, approved; the mail leaves, the refused address bounces.
    waiting.get_by_role("link", name="Bekijk de mailings").click()
    page.wait_for_url("**/mailings")
    page.get_by_role("link", name="uitnodiging", exact=True).click()
    page.wait_for_url("**/mailings/invitation")
    assert (
        "nodigt u uit" in page.frame_locator("iframe.mail-html").first.locator("body").inner_text()
    )
    found += _axe(page, "scenario-4-preview")
    page.get_by_role("button", name="Goedkeuren en versturen").click()
    page.wait_for_url("**/mailings/invitation?melding=goedgekeurd")
    assert site.mailbox.wait_for(3) == 3
    time.sleep(1)  # nothing more: the refused address got nothing, nobody got two
    assert len(site.mailbox.received) == 3 and site.mailbox.to(REFUSED) == []

    # An invitee answers through the link in the mail that arrived.
    invitee = context.new_page()
    invitee.goto(_link_in(site.mailbox.to("eva@zorg-twente.example")[0]))
    invitee.get_by_role("button", name="Ja, ik doe mee").click()
    invitee.wait_for_load_state()
    invitee.close()

    page.goto(round_url)
    funnel = page.locator("#funnel ~ .table-wrap table").first
    cells = funnel.get_by_role("row").nth(1).get_by_role("cell").all_inner_texts()
    assert cells[:3] == ["4", "1", "1"], cells  # invited, answered, said yes
    bounced = page.locator("#bounced ~ .table-wrap").first.inner_text()
    assert REFUSED in bounced and "550 5.1.1" in bounced
    found += _axe(page, "scenario-5-dashboard-answered")
    page.screenshot(path=str(ARTIFACTS / "scenario-5-dashboard.png"), full_page=True)

    # The bounced address corrected: the invitation goes to the new one.
    page.get_by_role("link", name="De mensen van wie het adres geblokkeerd is").click()
    page.get_by_role("link", name="Carla Smit").click()
    page.wait_for_url("**/mensen/*")
    page.get_by_label("Nieuw e-mailadres").fill(CORRECTED)
    page.get_by_role("button", name="Adres opslaan").click()
    page.wait_for_url("**/mensen/*?melding=adres*")
    assert "Het adres is verbeterd." in page.get_by_role("status").inner_text()
    found += _axe(page, "scenario-6-corrected")
    assert site.mailbox.wait_for(5) >= 5  # the confirmation of the answer, and Carla's invitation
    assert len(site.mailbox.to(CORRECTED)) == 1
    context.close()

    assert found == []
