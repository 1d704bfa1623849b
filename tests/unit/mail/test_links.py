"""Putting sealed personal links into a stored message at send time."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from consult.calendar.itip import CalendarEvent, build_itip
from consult.mail.mime import OutgoingMail
from consult.mail.outbox import with_links
from consult.tokens import LinkSealer, new_token
from consult.web.logs import install_link_redaction

START = datetime(2030, 3, 10, 9, 0, tzinfo=UTC)


def _event(link: str, prefix: str) -> CalendarEvent:
    return CalendarEvent(
        uid="links-1@wiz.example",
        sequence=0,
        start=START,
        end=START + timedelta(minutes=90),
        summary="Innovatie — café",
        # The prefix moves the link across the 75-octet folds (and "é" makes octets differ
        # from characters).
        description=f"Richtvragen: é {prefix}\nUw inbreng: {link}/input",
        meeting_url="https://meet.example.org/r/1",
        organiser_email="secretariaat@wiz.example",
        organiser_name="Secretariaat",
        attendee_email="a@zorg.example",
        attendee_name="A",
    )


@pytest.mark.parametrize("prefix_length", range(0, 80, 7))
def test_the_sent_calendar_equals_one_built_with_the_link_in_it(prefix_length: int) -> None:
    sealer, token = LinkSealer(b"k" * 32), new_token()
    stored_link, real_link = (
        "https://x.example/i/[link:0123456789abcdef]",
        f"https://x.example/i/{token}",
    )
    prefix = "x" * prefix_length
    stored = OutgoingMail(
        message_id="<a@wiz.example>",
        recipient_email="a@zorg.example",
        recipient_name="A",
        subject="Uitnodiging",
        text=f"Uw link: {stored_link}",
        html=f'<a href="{stored_link}">{stored_link}</a>',
        calendar_ics=build_itip(_event(stored_link, prefix), "REQUEST", START),
        calendar_method="REQUEST",
    )
    sent = with_links(stored, {"0123456789abcdef": sealer.seal(token)}, sealer)
    assert sent.calendar_ics == build_itip(_event(real_link, prefix), "REQUEST", START)
    assert sent.text == f"Uw link: {real_link}"
    assert sent.html == f'<a href="{real_link}">{real_link}</a>'


def test_a_link_sealed_with_another_key_makes_the_message_unsendable() -> None:
    sealed = LinkSealer(b"old secret").seal(new_token())
    mail = OutgoingMail("<a@w.example>", "a@z.example", "A", "S", "[link:0123456789abcdef]", "")
    with pytest.raises(ValueError, match="secret_key"):
        with_links(mail, {"0123456789abcdef": sealed}, LinkSealer(b"new secret"))
    with pytest.raises(ValueError, match="no key"):
        with_links(mail, {"0123456789abcdef": sealed}, None)


def test_log_lines_show_no_token(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Earlier tests in this process may have applied uvicorn's log config or the CLI's: the
    # access logger then neither propagates to the handler caplog reads nor logs at INFO.
    access = logging.getLogger("uvicorn.access")
    monkeypatch.setattr(access, "propagate", True)
    monkeypatch.setattr(access, "disabled", False)
    previous_level = access.level
    access.setLevel(logging.INFO)
    monkeypatch.setattr(logging.root.manager, "disable", 0)
    token = new_token()
    previous = logging.getLogRecordFactory()
    install_link_redaction()
    try:
        with caplog.at_level(logging.INFO):
            logging.getLogger("consult.web.anything").info("opened /i/%s/input", token)
            logging.getLogger("uvicorn.access").info(
                '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET", f"/i/{token}?saved=x", "1.1", 200
            )
            # A workplace password-reset link is a key to an account too.
            logging.getLogger("uvicorn.access").info(
                '%s - "%s %s HTTP/%s" %d',
                "127.0.0.1:5",
                "POST",
                f"/werkplek/wachtwoord/{token}",
                "1.1",
                303,
            )
    finally:
        logging.setLogRecordFactory(previous)
        access.setLevel(previous_level)
    assert token not in caplog.text
    assert "opened /i/…/input" in caplog.text
    assert '"GET /i/…?saved=x HTTP/1.1" 200' in caplog.text
    assert '"POST /werkplek/wachtwoord/… HTTP/1.1" 303' in caplog.text


def test_text_that_only_looks_like_a_placeholder_stays_as_it_is() -> None:
    sealer, token = LinkSealer(b"k" * 32), new_token()
    typed = "[link:ffffffffffffffff]"  # e.g. a name from the registry
    mail = OutgoingMail(
        "<a@w.example>", "a@z.example", typed, "S", f"Beste {typed}, /i/[link:0123456789abcdef]", ""
    )
    sent = with_links(mail, {"0123456789abcdef": sealer.seal(token)}, sealer)
    assert sent.text == f"Beste {typed}, /i/{token}"
