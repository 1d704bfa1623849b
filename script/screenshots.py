"""Screenshots of the workplace's main pages for the README, made from the demo so they stay
current: `uv run python script/screenshots.py` runs `consult demo` in var/screenshots, adds a
signed-in account per role, starts `consult web` and has Debian's headless Chromium (Playwright)
save each page in docs/screenshots/. Needs what script/test installs (chromium).

The pages are listed in PAGES; a page that does not answer 200 stops the script with its
address, so a renamed route shows up here too.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pyotp
from sqlalchemy import select
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from consult.app.accounts import add_account  # noqa: E402
from consult.mail.sink import free_port  # noqa: E402
from consult.settings import CONFIG_ENV, load_settings  # noqa: E402
from consult.wiring import open_app  # noqa: E402
from models import (  # noqa: E402
    BuildingBlock,
    ConsultationSession,
    Invitation,
    InvitationStatus,
    Person,
    Role,
    Round,
    Theme,
)

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "een lange zin als wachtwoord voor de schermafdrukken"
WORKSPACE = ROOT / "var" / "screenshots"
OUT = ROOT / "docs" / "screenshots"


@dataclass(frozen=True)
class Ids:
    round_id: int
    invitation_id: int
    person_id: int
    block_id: int
    session_id: int
    theme: str


@dataclass(frozen=True)
class Shot:
    name: str
    role: Role
    path: Callable[[Ids], str]
    caption: str


PAGES = (
    Shot("rounds", Role.SECRETARIAAT, lambda ids: "/werkplek/", "Rondes"),
    Shot("launch", Role.SECRETARIAAT, lambda ids: "/werkplek/rondes/nieuw", "Nieuwe ronde"),
    Shot(
        "dashboard", Role.SECRETARIAAT, lambda ids: f"/werkplek/rondes/{ids.round_id}", "Dashboard"
    ),
    Shot(
        "participation",
        Role.SECRETARIAAT,
        lambda ids: f"/werkplek/rondes/{ids.round_id}#participation",
        "Deelname per regio en sector",
    ),
    Shot(
        "people",
        Role.SECRETARIAAT,
        lambda ids: f"/werkplek/rondes/{ids.round_id}/mensen",
        "Mensen in een ronde",
    ),
    Shot(
        "person",
        Role.SECRETARIAAT,
        lambda ids: f"/werkplek/rondes/{ids.round_id}/mensen/{ids.invitation_id}",
        "Eén genodigde",
    ),
    Shot(
        "schedule",
        Role.SECRETARIAAT,
        lambda ids: f"/werkplek/rondes/{ids.round_id}/indeling",
        "Indeling in sessies",
    ),
    Shot(
        "notes",
        Role.SECRETARIAAT,
        lambda ids: f"/werkplek/sessies/{ids.session_id}/notities",
        "Sessienotities",
    ),
    Shot(
        "mailings",
        Role.SECRETARIAAT,
        lambda ids: f"/werkplek/rondes/{ids.round_id}/mailings",
        "Mailings van een ronde",
    ),
    Shot(
        "board",
        Role.STAF,
        lambda ids: f"/werkplek/rondes/{ids.round_id}/bouwstenen/{ids.theme}",
        "Bouwstenenbord van een thema",
    ),
    Shot(
        "block",
        Role.STAF,
        lambda ids: f"/werkplek/bouwstenen/{ids.block_id}",
        "Een bouwsteen met zijn herkomst",
    ),
    Shot(
        "reports",
        Role.STAF,
        lambda ids: f"/werkplek/rondes/{ids.round_id}/rapporten",
        "Rapporten",
    ),
    Shot("region", Role.REGIOCOORDINATOR, lambda ids: "/werkplek/regio/Twente", "Regio Twente"),
    Shot("registry", Role.SECRETARIAAT, lambda ids: "/werkplek/register", "Register"),
    Shot("outbox", Role.SECRETARIAAT, lambda ids: "/werkplek/uitgaand", "Uitgaande mail"),
    Shot("audit", Role.BEHEERDER, lambda ids: "/werkplek/audit", "Auditlog"),
)


def _demo() -> Path:
    if WORKSPACE.exists():
        shutil.rmtree(WORKSPACE)
    subprocess.run(
        [sys.executable, "-m", "consult", "demo", "--workspace", str(WORKSPACE)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    config = WORKSPACE / "consult.toml"
    # Plain HTTP on this machine: a Secure cookie would never be sent back.
    with config.open("a", encoding="utf-8") as out:
        out.write("\n[workplace]\ncookie_secure = false\n")
    return config


def _accounts_and_ids(config: Path) -> tuple[dict[Role, str], Ids]:
    os.environ[CONFIG_ENV] = str(config)
    secrets: dict[Role, str] = {}
    with open_app(load_settings()) as wired, wired.db.unit_of_work() as session:
        for role in Role:
            regions = ["Twente"] if role == Role.REGIOCOORDINATOR else []
            made = add_account(
                session,
                wired,
                f"{role.value}@wiz.example",
                role,
                password=PASSWORD,
                regions=regions,
            )
            assert made.totp_secret is not None
            secrets[role] = made.totp_secret
        ids = _ids(session)
    return secrets, ids


def _ids(session: Session) -> Ids:
    round_id = session.scalars(select(Round.id).order_by(Round.id)).first()
    if round_id is None:
        raise SystemExit("the demo made no round")
    invitation = session.scalars(
        select(Invitation)
        .where(Invitation.round_id == round_id, Invitation.status == InvitationStatus.ACCEPTED)
        .order_by(Invitation.id)
    ).first()
    if invitation is None:
        raise SystemExit("the demo has no accepted invitation")
    person = session.get_one(Person, invitation.person_id)
    block_id = session.scalars(
        select(BuildingBlock.id)
        .where(BuildingBlock.round_id == round_id)
        .order_by(BuildingBlock.id)
    ).first()
    session_id = session.scalars(
        select(ConsultationSession.id)
        .where(ConsultationSession.round_id == round_id)
        .order_by(ConsultationSession.id)
    ).first()
    if block_id is None or session_id is None:
        raise SystemExit("the demo made no building block or no session")
    theme = session.scalars(
        select(Theme.slug)
        .join(BuildingBlock, BuildingBlock.theme_id == Theme.id)
        .where(BuildingBlock.id == block_id)
    ).one()
    return Ids(round_id, invitation.id, person.id, block_id, session_id, theme)


@contextmanager
def _web(config: Path) -> Iterator[str]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, CONFIG_ENV: str(config)}
    env.pop("PREFECT_API_URL", None)
    log_path = WORKSPACE / "web.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "consult", "web", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"consult web did not start:\n{log_path.read_text()}")
                try:
                    if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
            yield base_url
        finally:
            server.terminate()
            server.wait(timeout=15)


def _sign_in(page: Any, base_url: str, role: Role, secret: str) -> None:
    page.goto(f"{base_url}/werkplek/aanmelden")
    page.get_by_label("E-mailadres").fill(f"{role.value}@wiz.example")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Verder").click()
    page.wait_for_url("**/werkplek/aanmelden/code")
    page.get_by_label("Code (6 cijfers)").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url(lambda url: "/aanmelden" not in url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUT, help="folder for the PNG files")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        raise SystemExit("Debian's chromium is missing: script/test installs it")
    from playwright.sync_api import sync_playwright

    config = _demo()
    secrets, ids = _accounts_and_ids(config)
    args.output.mkdir(parents=True, exist_ok=True)
    with _web(config) as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        pages: dict[Role, Any] = {}
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{base_url}/werkplek/aanmelden")
            page.screenshot(path=str(args.output / "sign-in.png"))
            page.close()
            for shot in PAGES:
                if shot.role not in pages:
                    pages[shot.role] = browser.new_page(viewport={"width": 1280, "height": 900})
                    _sign_in(pages[shot.role], base_url, shot.role, secrets[shot.role])
                page = pages[shot.role]
                # Back to the top first: an address that differs only in its #anchor would not
                # be loaded again.
                page.goto("about:blank")
                answer = page.goto(base_url + shot.path(ids))
                if answer is None or answer.status != 200:
                    status = answer.status if answer else "no answer"
                    raise SystemExit(f"{shot.path(ids)} answered {status}")
                page.screenshot(path=str(args.output / f"{shot.name}.png"), full_page=False)
                print(f"{shot.name}.png  {shot.caption}  {shot.path(ids)}")
        finally:
            browser.close()


if __name__ == "__main__":
    main()
