from __future__ import annotations

import email
import email.policy
from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage, MIMEPart

import pytest

from consult.mail.mime import OutgoingMail, build_message, make_message_id
from consult.settings import Organiser

DATE = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
ORGANISER = Organiser(name="Secretariaat WiZ", email="secretariaat@wiz.example")

ICS = (
    b"BEGIN:VCALENDAR\r\n"
    b"VERSION:2.0\r\n"
    b"PRODID:-//consult//test//EN\r\n"
    b"METHOD:REQUEST\r\n"
    b"BEGIN:VEVENT\r\n"
    b"UID:round-7@wiz.example\r\n"
    b"DTSTAMP:20250314T093000Z\r\n"
    b"DTSTART:20250401T080000Z\r\n"
    b"SUMMARY:Consultatie \xe2\x80\x94 ronde 7 (caf\xc3\xa9)\r\n"
    b"DESCRIPTION:Een lange omschrijving die over meerdere regels gevouwen wordt omdat\r\n"
    b"  RFC 5545 regels langer dan 75 octets niet toestaat.\r\n"
    b"END:VEVENT\r\n"
    b"END:VCALENDAR\r\n"
)


def _mail(**changes: object) -> OutgoingMail:
    mail = OutgoingMail(
        message_id=make_message_id("wiz.example", "invite:7:42"),
        recipient_email="jan@example.org",
        recipient_name="Jan de Vries",
        subject="Uitnodiging consultatie",
        text="Beste Jan,\n\nWelkom.\n",
        html="<p>Beste Jan,</p><p>Welkom.</p>",
    )
    return replace(mail, **changes)  # type: ignore[arg-type]


def _roundtrip(msg: EmailMessage) -> EmailMessage:
    raw = msg.as_bytes(policy=email.policy.SMTP)
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _text(part: MIMEPart) -> str:
    # The wire form uses CRLF; the parser keeps it in decoded text.
    content = part.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")


def _calendar_mail(method: str = "REQUEST") -> OutgoingMail:
    return _mail(calendar_ics=ICS, calendar_method=method)


def test_without_calendar_is_alternative_text_then_html() -> None:
    parsed = _roundtrip(build_message(_mail(), ORGANISER, date=DATE))

    assert parsed.get_content_type() == "multipart/alternative"
    parts = list(parsed.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    assert _text(parts[0]) == "Beste Jan,\n\nWelkom.\n"
    assert _text(parts[1]).rstrip("\n") == "<p>Beste Jan,</p><p>Welkom.</p>"
    assert parsed["MIME-Version"] == "1.0"
    assert parsed["Subject"] == "Uitnodiging consultatie"
    assert parsed["Date"].datetime == DATE
    assert parsed["Message-ID"] == make_message_id("wiz.example", "invite:7:42")
    assert parsed["From"].addresses[0].addr_spec == "secretariaat@wiz.example"
    assert parsed["From"].addresses[0].display_name == "Secretariaat WiZ"
    assert parsed["To"].addresses[0].addr_spec == "jan@example.org"
    assert parsed["Reply-To"] is None


def test_mime_version_only_on_top_level() -> None:
    msg = build_message(_calendar_mail(), ORGANISER, date=DATE)
    raw = msg.as_bytes(policy=email.policy.SMTP)
    assert raw.count(b"MIME-Version:") == 1


def test_with_calendar_is_mixed_with_inline_calendar_and_attachment() -> None:
    parsed = _roundtrip(build_message(_calendar_mail(), ORGANISER, date=DATE))

    assert parsed.get_content_type() == "multipart/mixed"
    alternative, attachment = parsed.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    text, html, calendar = alternative.iter_parts()
    assert text.get_content_type() == "text/plain"
    assert html.get_content_type() == "text/html"

    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_param("method") == "REQUEST"
    assert calendar.get_content_charset() == "utf-8"
    assert calendar["Content-Disposition"] is None

    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_param("name") == "invite.ics"
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_payload(decode=True) == ICS


def test_calendar_crlf_line_ends_survive_serialisation() -> None:
    msg = build_message(_calendar_mail(), ORGANISER, date=DATE)
    # Both the wire form (CRLF) and the default policy's (LF) must leave the calendar intact.
    for policy in (email.policy.SMTP, email.policy.default):
        raw = msg.as_bytes(policy=policy)
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        calendar = next(p for p in parsed.walk() if p.get_content_type() == "text/calendar")
        decoded = calendar.get_payload(decode=True)
        assert isinstance(decoded, bytes)
        assert decoded == ICS
        assert decoded.count(b"\r\n") == ICS.count(b"\n")
        assert b"\n" not in decoded.replace(b"\r\n", b"")


def test_cancel_method_is_carried_in_content_type() -> None:
    cancel = ICS.replace(b"METHOD:REQUEST", b"METHOD:CANCEL")
    parsed = _roundtrip(
        build_message(_mail(calendar_ics=cancel, calendar_method="CANCEL"), ORGANISER, date=DATE)
    )
    calendar = next(p for p in parsed.walk() if p.get_content_type() == "text/calendar")
    assert calendar.get_param("method") == "CANCEL"


def test_method_is_compared_case_insensitively() -> None:
    parsed = _roundtrip(build_message(_calendar_mail("request"), ORGANISER, date=DATE))
    calendar = next(p for p in parsed.walk() if p.get_content_type() == "text/calendar")
    assert calendar.get_param("method") == "REQUEST"


def test_method_mismatch_raises() -> None:
    with pytest.raises(ValueError, match="differs"):
        build_message(_calendar_mail("CANCEL"), ORGANISER, date=DATE)


def test_calendar_without_method_raises() -> None:
    with pytest.raises(ValueError, match="required"):
        build_message(_mail(calendar_ics=ICS), ORGANISER, date=DATE)


def test_calendar_missing_method_line_raises() -> None:
    ics = ICS.replace(b"METHOD:REQUEST\r\n", b"")
    with pytest.raises(ValueError, match="no METHOD"):
        build_message(_mail(calendar_ics=ics, calendar_method="REQUEST"), ORGANISER, date=DATE)


def test_method_inside_event_does_not_count() -> None:
    # Only the VCALENDAR's own METHOD decides; a stray property in a component must not.
    ics = ICS.replace(b"METHOD:REQUEST\r\n", b"").replace(
        b"UID:round-7", b"METHOD:REQUEST\r\nUID:round-7"
    )
    with pytest.raises(ValueError, match="no METHOD"):
        build_message(_mail(calendar_ics=ics, calendar_method="REQUEST"), ORGANISER, date=DATE)


def test_method_without_calendar_raises() -> None:
    with pytest.raises(ValueError):
        build_message(_mail(calendar_method="REQUEST"), ORGANISER, date=DATE)


def test_non_ascii_names_and_subject_are_encoded_and_decode_back() -> None:
    organiser = Organiser(name="Secretariaat Zorg, Welzijn & Sport — WiZ", email="s@wiz.example")
    mail = _mail(
        recipient_name="Zoë Müller-Ødegård", subject="Uitnodiging: café — ronde 2 (ß, ø, 漢字)"
    )
    raw = build_message(mail, organiser, date=DATE).as_bytes(policy=email.policy.SMTP)

    header_block = raw.split(b"\r\n\r\n", 1)[0]
    header_block.decode("ascii")  # RFC 2047 keeps headers 7-bit
    assert b"=?utf-8?" in header_block

    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["From"].addresses[0].display_name == organiser.name
    assert parsed["From"].addresses[0].addr_spec == "s@wiz.example"
    assert parsed["To"].addresses[0].display_name == "Zoë Müller-Ødegård"
    assert parsed["To"].addresses[0].addr_spec == "jan@example.org"
    assert parsed["Subject"] == "Uitnodiging: café — ronde 2 (ß, ø, 漢字)"


def test_non_ascii_bodies_decode_back() -> None:
    mail = _mail(text="Graag tot ziens — café\n", html="<p>Graag tot ziens — café</p>\n")
    parsed = _roundtrip(build_message(mail, ORGANISER, date=DATE))
    text, html = parsed.iter_parts()
    assert _text(text) == "Graag tot ziens — café\n"
    assert _text(html) == "<p>Graag tot ziens — café</p>\n"


@pytest.mark.parametrize("separator", ["\r\n", "\n", "\r", "\u2028", "\x00", "\x85"])
def test_header_injection_through_names_and_subject_is_blocked(separator: str) -> None:
    organiser = Organiser(name=f"Secretariaat{separator}Bcc: boss@evil.example", email="s@wiz.ex")
    mail = _mail(
        recipient_name=f"Jan{separator}Bcc: x@evil.example",
        subject=f"Hallo{separator}Bcc: y@evil.example{separator}{separator}body",
    )
    raw = build_message(mail, organiser, date=DATE).as_bytes(policy=email.policy.SMTP)
    parsed = email.message_from_bytes(raw, policy=email.policy.default)

    assert parsed["Bcc"] is None
    assert parsed.get_all("To") is not None
    assert len(parsed.get_all("To") or []) == 1
    assert [a.addr_spec for a in parsed["To"].addresses] == ["jan@example.org"]
    assert [a.addr_spec for a in parsed["From"].addresses] == ["s@wiz.ex"]
    assert parsed["To"].addresses[0].display_name == "Jan Bcc: x@evil.example"
    assert parsed["Subject"] == "Hallo Bcc: y@evil.example body"
    assert not parsed.defects


def test_address_with_line_break_is_rejected() -> None:
    with pytest.raises(ValueError):
        build_message(
            _mail(recipient_email="jan@example.org\r\nBcc: x@evil.example"), ORGANISER, date=DATE
        )


def test_message_id_with_line_break_is_rejected() -> None:
    with pytest.raises(ValueError):
        build_message(_mail(message_id="<a@b>\r\nBcc: x@evil.example"), ORGANISER, date=DATE)


def test_reply_to_is_set_when_configured() -> None:
    organiser = Organiser(
        name="Secretariaat WiZ", email="noreply@wiz.example", reply_to="vragen@wiz.example"
    )
    parsed = _roundtrip(build_message(_mail(), organiser, date=DATE))
    assert [a.addr_spec for a in parsed["Reply-To"].addresses] == ["vragen@wiz.example"]
    assert parsed["Reply-To"].addresses[0].display_name == "Secretariaat WiZ"


def test_naive_date_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone"):
        build_message(_mail(), ORGANISER, date=datetime(2025, 3, 14, 9, 30))


def test_build_is_deterministic_apart_from_boundaries() -> None:
    first = build_message(_calendar_mail(), ORGANISER, date=DATE)
    second = build_message(_calendar_mail(), ORGANISER, date=DATE)
    assert first["Message-ID"] == second["Message-ID"]
    assert first["Date"] == second["Date"]


def test_message_id_is_deterministic_per_key() -> None:
    one = make_message_id("wiz.example", "invite:7:42")
    assert one == make_message_id("wiz.example", "invite:7:42")
    assert one != make_message_id("wiz.example", "invite:7:43")
    assert one != make_message_id("other.example", "invite:7:42")
    assert one.startswith("<") and one.endswith("@wiz.example>")
    local = one[1:].split("@", 1)[0]
    assert all(c in "0123456789abcdef" for c in local)


def test_message_id_round_trips_through_header() -> None:
    message_id = make_message_id("wiz.example", "ключ / sleutel")
    parsed = _roundtrip(build_message(_mail(message_id=message_id), ORGANISER, date=DATE))
    assert parsed["Message-ID"] == message_id


@pytest.mark.parametrize("domain", ["", "wiz example", "wiz.example>", "a@b", "wiz.example\r\n"])
def test_message_id_rejects_bad_domains(domain: str) -> None:
    with pytest.raises(ValueError):
        make_message_id(domain, "key")


@pytest.mark.parametrize(
    "subject",
    [
        "Agenda-uitnodiging: Anders besturen op vrijdag 25 december 2026, 10:00\u201311:30",
        "Invitation: online conversation on Governing differently \u2013 Consultatieronde "
        "bouwstenen nieuwe kabinetsperiode (demo)",
    ],
)
def test_a_long_non_ascii_subject_unfolds_without_double_spaces(subject: str) -> None:
    msg = build_message(_mail(subject=subject), ORGANISER, date=DATE)
    raw = msg.as_bytes(policy=email.policy.SMTP)
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    subject_lines = head.split("Subject: ", 1)[1].split("\r\nDate:", 1)[0].split("\r\n")
    assert all(len(line) <= 78 for line in subject_lines)
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert str(parsed["Subject"]) == subject
