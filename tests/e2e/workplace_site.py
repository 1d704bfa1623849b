"""What the workplace's browser tests share: a consult.toml for a test site, `consult web` in
its own process until the block ends, and Chromium (Playwright) for the module."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pyotp

from consult.settings import CONFIG_ENV, PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


def write_config(
    workdir: Path, database_url: str, base_url: str, smtp_port: int, extra: str = ""
) -> Path:
    """workdir/consult.toml for `consult web` on `base_url`, mail to `smtp_port`; `extra` is
    TOML added at the end (sections of its own)."""
    config = workdir / "consult.toml"
    config.write_text(
        f'database_url = "{database_url}"\n'
        f'base_url = "{base_url}"\n'
        'secret_key = "workplace-browser-test-secret"\n'
        f'config_dir = "{PROJECT_ROOT / "config"}"\n'
        f'templates_dir = "{PROJECT_ROOT / "templates"}"\n'
        f'reports_dir = "{workdir / "reports"}"\n'
        f"[smtp]\nport = {smtp_port}\nretry_wait_s = 0\n"
        # Plain HTTP on this machine: a Secure cookie would never be sent back.
        "[workplace]\ncookie_secure = false\n" + extra,
        encoding="utf-8",
    )
    return config


@contextmanager
def serving(config: Path, port: int, log_path: Path) -> Iterator[str]:
    """`consult web` with `config` on 127.0.0.1:`port` until the block ends; its base URL."""
    base_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, CONFIG_ENV: str(config)}
    env.pop("PREFECT_API_URL", None)
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
                if server.poll() is not None:
                    raise AssertionError(f"consult web exited:\n{log_path.read_text('utf-8')}")
                try:
                    if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"consult web did not answer:\n{log_path.read_text()}")
                time.sleep(0.2)
            yield base_url
        finally:
            server.terminate()
            server.wait(timeout=15)


@contextmanager
def launched_browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def sign_in(page: Any, base_url: str, email: str, password: str, totp_secret: str) -> None:
    """Through the sign-in pages as a person does: the password, then the authenticator's
    code; returns on the page the workplace lands on."""
    page.goto(f"{base_url}/werkplek/aanmelden")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(password)
    page.get_by_role("button", name="Verder").click()
    page.wait_for_url("**/werkplek/aanmelden/code")
    page.get_by_label("Code (6 cijfers)").fill(pyotp.TOTP(totp_secret).now())
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url(lambda url: "/aanmelden" not in url)
