"""Launching a round in a real browser with the keyboard alone: Debian's headless Chromium,
driven by Playwright, against `consult web` in its own process on PostgreSQL (the set-up of
test_workplace_browser.py). A secretariat member signs in, opens the launch form from the rounds
list, fills it with Tab, typing and Space, submits it with Enter, sees that one slot lies before
the answer deadline, follows the error summary to that slot, fixes it, confirms the weekend
warning and lands on the new round's dashboard. axe-core finds no serious or critical WCAG 2.1
A/AA violation on the form, the form with errors and the confirmation page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pyotp
import pytest

from consult.spec import holiday_name
from models.base import utcnow
from tests.e2e.test_workplace_browser import (  # noqa: F401 (fixtures: pytest finds them here)
    AMS,
    ARTIFACTS,
    EMAIL,
    PASSWORD,
    Site,
    _axe,
    site,
)

pytestmark = pytest.mark.slow

NAME = "Ronde via het toetsenbord"


def _day(after: date, wanted: Callable[[date], bool]) -> date:
    day = after + timedelta(days=1)
    while not wanted(day):
        day += timedelta(days=1)
    return day


def _working_day(day: date) -> bool:
    return day.weekday() < 5 and holiday_name(day) is None


def _saturday(day: date) -> bool:
    return day.weekday() == 5 and holiday_name(day) is None


def _focused(page: Any) -> tuple[str, str]:
    found = page.evaluate(
        "() => [document.activeElement.id, (document.activeElement.textContent || '').trim()]"
    )
    return str(found[0]), str(found[1])


def _tab_to(page: Any, target: str, by_text: bool = False) -> None:
    """Press Tab until the element with this id (or text) has the focus."""
    for _ in range(250):
        element_id, text = _focused(page)
        if (text if by_text else element_id) == target:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target}")


def _type_into(page: Any, field_id: str, text: str) -> None:
    _tab_to(page, field_id)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def test_a_secretariat_member_launches_a_round_with_the_keyboard_alone(
    site: Site,  # noqa: F811
    browser: Any,
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    today = utcnow().astimezone(AMS).date()
    answer = _day(today + timedelta(days=14), _working_day)
    too_early = _day(today + timedelta(days=3), _working_day)
    good = _day(answer + timedelta(days=1), _working_day)
    saturday = _day(answer + timedelta(days=1), _saturday)
    closing = answer + timedelta(days=60)

    context = browser.new_context(bypass_csp=True, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    found: list[str] = []
    page.goto(f"{site.base_url}/werkplek/aanmelden")
    _type_into(page, "email", EMAIL)
    _type_into(page, "password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/werkplek/aanmelden/code")
    _type_into(page, "code", pyotp.TOTP(site.totp_secret).now())
    page.keyboard.press("Enter")
    page.wait_for_url("**/werkplek/")

    _tab_to(page, "Nieuwe ronde", by_text=True)
    page.keyboard.press("Enter")
    page.wait_for_url("**/werkplek/rondes/nieuw")
    assert page.get_by_role("heading", level=1).inner_text() == "Nieuwe ronde starten"
    found += _axe(page, "launch-1-form")
    page.screenshot(path=str(ARTIFACTS / "launch-1-form.png"), full_page=True)

    _type_into(page, "name", NAME)
    _tab_to(page, "themes")  # the first theme: Onderwijsvernieuwing
    page.keyboard.press("Space")
    _type_into(page, "slot-onderwijsvernieuwing-1-date", too_early.isoformat())
    _type_into(page, "slot-onderwijsvernieuwing-1-start", "10:00")
    _type_into(page, "slot-onderwijsvernieuwing-1-end", "11:30")
    _type_into(page, "slot-onderwijsvernieuwing-2-date", saturday.strftime("%d-%m-%Y"))
    _type_into(page, "slot-onderwijsvernieuwing-2-start", "10:00")
    _type_into(page, "slot-onderwijsvernieuwing-2-end", "11:30")
    _type_into(page, "answer_date", answer.isoformat())
    _type_into(page, "input_date", closing.isoformat())
    _type_into(page, "invitees_per_theme", "4")
    _type_into(page, "group_min", "1")
    _tab_to(page, "regions")  # Achterhoek
    page.keyboard.press("Space")
    _tab_to(page, "region-3")  # Twente
    page.keyboard.press("Space")
    # Enter in a text field sends the form with its first button: check and launch.
    _tab_to(page, "meeting_url")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    summary = page.locator("#error-summary")
    assert summary.is_visible()
    assert "ligt niet na de antwoorddeadline" in summary.inner_text()
    # What was typed is kept.
    assert page.locator("#name").input_value() == NAME
    assert page.locator("#region-3").is_checked()
    found += _axe(page, "launch-2-errors")
    page.screenshot(path=str(ARTIFACTS / "launch-2-errors.png"), full_page=True)

    # The summary's link leads to the slot; it gets a working day after the deadline.
    _tab_to(page, summary.get_by_role("link").inner_text(), by_text=True)
    page.keyboard.press("Enter")
    _type_into(page, "slot-onderwijsvernieuwing-1-date", good.isoformat())
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Controleer de waarschuwingen voordat u start"
    )
    assert "valt in het weekend (zaterdag)" in page.locator("#warnings").inner_text()
    found += _axe(page, "launch-3-confirm")
    page.screenshot(path=str(ARTIFACTS / "launch-3-confirm.png"), full_page=True)
    _tab_to(page, "Ronde starten", by_text=True)
    page.keyboard.press("Enter")

    page.wait_for_url("**/werkplek/rondes/*?melding=gestart*")
    assert page.get_by_role("heading", level=1).inner_text() == NAME
    assert "De ronde is gestart." in page.get_by_role("status").first.inner_text()
    found += _axe(page, "launch-4-dashboard")
    page.screenshot(path=str(ARTIFACTS / "launch-4-dashboard.png"), full_page=True)
    context.close()

    assert found == []
