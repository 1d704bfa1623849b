"""Screenshots of the workplace's main pages for the README, made from the demo so they stay
current: `uv run python script/screenshots.py` runs `consult demo` in var/screenshots, adds a
signed-in account per role, starts `consult web` and has Debian's headless Chromium (Playwright)
save each page in docs/screenshots/. Needs what script/test installs (chromium).

The pages are listed in PAGES; a page that does not answer 200 stops the script with its
address, so a renamed route shows up here too.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models import Role  # noqa: E402
from tests.e2e.demo_site import (  # noqa: E402
    add_accounts,
    demo_ids,
    run_demo,
    running_web,
    sign_in_as,
)

CHROMIUM = Path("/usr/bin/chromium")
WORKSPACE = ROOT / "var" / "screenshots"
OUT = ROOT / "docs" / "screenshots"


@dataclass(frozen=True)
class Shot:
    name: str
    role: Role
    # The page's address, with {round_id} and the other ids of tests/e2e/demo_site.demo_ids.
    path: str
    caption: str


SECRETARIAT, STAFF = Role.SECRETARIAAT, Role.STAF
PAGES = (
    Shot("rounds", SECRETARIAT, "/werkplek/", "Rondes"),
    Shot("launch", SECRETARIAT, "/werkplek/rondes/nieuw", "Nieuwe ronde"),
    Shot("dashboard", SECRETARIAT, "/werkplek/rondes/{round_id}", "Dashboard"),
    Shot(
        "participation",
        SECRETARIAT,
        "/werkplek/rondes/{round_id}#participation",
        "Deelname per regio en sector",
    ),
    Shot("people", SECRETARIAT, "/werkplek/rondes/{round_id}/mensen", "Mensen in een ronde"),
    Shot(
        "person", SECRETARIAT, "/werkplek/rondes/{round_id}/mensen/{invitation_id}", "Eén genodigde"
    ),
    Shot("mailings", SECRETARIAT, "/werkplek/rondes/{round_id}/mailings", "Mailings"),
    Shot("schedule", SECRETARIAT, "/werkplek/rondes/{round_id}/indeling", "Indeling in sessies"),
    Shot("notes", SECRETARIAT, "/werkplek/sessies/{session_id}/notities", "Sessienotities"),
    Shot(
        "board",
        STAFF,
        "/werkplek/rondes/{round_id}/bouwstenen/{theme}",
        "Bouwstenenbord van een thema",
    ),
    Shot("block", STAFF, "/werkplek/bouwstenen/{block_id}", "Een bouwsteen met zijn herkomst"),
    Shot("reports", STAFF, "/werkplek/rondes/{round_id}/rapporten", "Rapporten"),
    Shot("region", Role.REGIOCOORDINATOR, "/werkplek/regio/{region}", "Een regio"),
    Shot("registry", SECRETARIAT, "/werkplek/register", "Register"),
    Shot("outbox", SECRETARIAT, "/werkplek/uitgaand", "Uitgaande mail"),
    Shot("audit", Role.BEHEERDER, "/werkplek/audit", "Auditlog"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUT, help="folder for the PNG files")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        raise SystemExit("Debian's chromium is missing: script/test installs it")
    from playwright.sync_api import sync_playwright

    if WORKSPACE.exists():
        shutil.rmtree(WORKSPACE)
    config = run_demo(WORKSPACE)
    secrets = add_accounts(config)
    ids = demo_ids(config)
    args.output.mkdir(parents=True, exist_ok=True)
    with running_web(config, WORKSPACE / "web.log") as base_url, sync_playwright() as playwright:
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
                    sign_in_as(pages[shot.role], base_url, shot.role, secrets[shot.role])
                page = pages[shot.role]
                address = shot.path.format(**ids)
                # Back to the top first: an address that differs only in its #anchor would not
                # be loaded again.
                page.goto("about:blank")
                answer = page.goto(base_url + address)
                if answer is None or answer.status != 200:
                    raise SystemExit(f"{address} answered {answer.status if answer else 'nothing'}")
                page.screenshot(path=str(args.output / f"{shot.name}.png"))
                print(f"{shot.name}.png  {shot.caption}  {address}")
        finally:
            browser.close()


if __name__ == "__main__":
    main()
