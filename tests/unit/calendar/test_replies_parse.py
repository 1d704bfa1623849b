"""Reading calendar answers out of raw mail, in the shapes the common clients send, and never an
exception for mail that is broken, odd or not an answer at all. No server: bytes in, data out."""

from __future__ import annotations

import base64
import hashlib
import quopri
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from consult.calendar.replies import ParsedReply, ParseProblem, ParseResult, parse_message
from tests.integration.calendar.reply_fixtures import (
    FIXTURES,
    REPLIES_DIR,
    ReplyValues,
    load,
    template,
)

AMS = ZoneInfo("Europe/Amsterdam")
VALUES = ReplyValues(
    uid="6f0c1e9a-3d2b-4c5e-8f7a-9b0c1d2e3f4a@wiz.example",
    sequence=2,
    attendee="Anneke.Vvt@Zorg.Example",  # clients keep the case the user typed
    attendee_name="Anneke van der Vvt",
    sender="a.vvt@mail.zorg.example",
    start=datetime(2030, 3, 10, 10, 0, tzinfo=AMS),
    end=datetime(2030, 3, 10, 11, 30, tzinfo=AMS),
    summary="Consultatieronde voorjaar 2030: Innovatie",
    delegate="jorg.tenbrink@zorg.example",
    delegate_name="Jörg ten Brink",
)


def replies(result: ParseResult) -> list[ParsedReply]:
    assert isinstance(result, list), result
    return result


def problem(result: ParseResult) -> ParseProblem:
    assert isinstance(result, ParseProblem), result
    return result


# --- the client fixtures -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "partstat", "message_id"),
    [
        (
            "outlook_accept",
            "ACCEPTED",
            "<AM9PR08MB670812F3A1B2C3D4E5F6A7B8C9D0E1F2@AM9PR08MB6708.eurprd08.prod.outlook.com>",
        ),
        ("gmail_decline", "DECLINED", "<calendar-2c8f71d4-9b0e-4a8e-b3f1-5d6c7e8f9a0b@google.com>"),
        ("apple_tentative", "TENTATIVE", "<8E4F2C1A-3B5D-4E6F-9A0B-1C2D3E4F5A6B@icloud.com>"),
        (
            "thunderbird_delegate",
            "DELEGATED",
            "<3f1c2a9e-7b4d-4c6e-9a8f-2d1e0c9b8a7f@zorg.example>",
        ),
        ("stale_sequence", "ACCEPTED", None),
        ("uninvited", "ACCEPTED", None),
    ],
)
def test_each_client_shape_gives_one_reply(
    name: str, partstat: str, message_id: str | None
) -> None:
    (reply,) = replies(parse_message(load(name, VALUES)))
    assert reply.event_uid == VALUES.uid
    assert reply.sequence == 2
    assert reply.attendee == "anneke.vvt@zorg.example"  # lower case, no mailto:
    assert reply.attendee_name == "Anneke van der Vvt"
    assert reply.partstat == partstat
    assert reply.mail.sender == "a.vvt@mail.zorg.example"  # From is kept apart from ATTENDEE
    assert reply.message_key == reply.mail.message_id
    if message_id is not None:
        assert reply.mail.message_id == message_id
    assert reply.mail.sent_at is not None and reply.mail.sent_at.tzinfo is not None


def test_gmail_sends_the_calendar_twice_and_it_counts_once() -> None:
    raw = load("gmail_decline", VALUES)
    assert raw.count(b"text/calendar") == 1 and b"application/ics" in raw
    assert len(replies(parse_message(raw))) == 1


def test_apple_quoted_printable_with_a_fold_inside_partstat() -> None:
    raw = load("apple_tentative", VALUES)
    assert b"quoted-printable" in raw and b"=3D" in raw
    (reply,) = replies(parse_message(raw))
    assert reply.partstat == "TENTATIVE"


def test_thunderbird_delegation_names_delegator_and_delegate() -> None:
    (reply,) = replies(parse_message(load("thunderbird_delegate", VALUES)))
    # Two ATTENDEE lines: the delegator (who answers) and the delegate (NEEDS-ACTION).
    assert reply.attendee == "anneke.vvt@zorg.example"
    assert reply.partstat == "DELEGATED"
    assert reply.delegated_to == "jorg.tenbrink@zorg.example"
    assert reply.delegate_name == "Jörg ten Brink"  # 8bit UTF-8 part


def test_delegate_listed_first_still_gives_the_delegator() -> None:
    raw = load("thunderbird_delegate", VALUES)
    first = b"ATTENDEE;RSVP=TRUE;CN=Anneke"
    second = b"ATTENDEE;RSVP=TRUE;PARTSTAT=NEEDS-ACTION"
    text_part = raw[raw.index(b"Content-Type: text/calendar") :]
    start_a, start_b = text_part.index(first), text_part.index(second)
    end_b = text_part.index(b"DTSTART;", start_b)
    swapped = (
        text_part[:start_a]
        + text_part[start_b:end_b]
        + text_part[start_a:start_b]
        + text_part[end_b:]
    )
    (reply,) = replies(parse_message(raw[: raw.index(b"Content-Type: text/calendar")] + swapped))
    assert (reply.attendee, reply.partstat) == ("anneke.vvt@zorg.example", "DELEGATED")


def test_unknown_uid_fixture_has_its_own_uid() -> None:
    (reply,) = replies(parse_message(load("unknown_uid", VALUES)))
    assert reply.event_uid == "7kukuqrfedlm2f9t6vh2ak3k1o@google.com"
    assert reply.sequence == 0


def test_corrupt_fixture_is_a_problem_keyed_by_its_bytes() -> None:
    raw = load("corrupt", VALUES)
    found = problem(parse_message(raw))
    assert found.kind == "corrupt"
    assert found.mail.message_id == ""
    assert found.mail.message_key == "sha256:" + hashlib.sha256(raw).hexdigest()
    assert found.mail.sender == "a.vvt@mail.zorg.example"


def test_every_fixture_is_documented_and_filled_completely() -> None:
    assert {p.stem for p in REPLIES_DIR.glob("*.eml")} == set(FIXTURES)
    for name in FIXTURES:
        assert b"{{" in template(name) or name == "corrupt", name
        assert b"{{" not in load(name, VALUES), name


# --- shapes built here ----------------------------------------------------------------------


def calendar(
    method: str | None = "REPLY",
    partstat: str = "ACCEPTED",
    sequence: str | None = "1",
    uid: str = "uid-1@wiz.example",
    attendee: str = "mailto:jan@zorg.example",
    cn: str = "Jan",
) -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN"]
    if method:
        lines.append(f"METHOD:{method}")
    lines += ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20300305T100000Z"]
    if sequence is not None:
        lines.append(f"SEQUENCE:{sequence}")
    lines += [f"ATTENDEE;CN={cn};PARTSTAT={partstat}:{attendee}", "END:VEVENT", "END:VCALENDAR"]
    return "\r\n".join(lines) + "\r\n"


def mail(body: str, content_type: str, headers: str = "", message_id: str = "<m1@test>") -> bytes:
    head = "From: Jan <jan@zorg.example>\r\nTo: secretariaat@wiz.example\r\nSubject: x\r\n"
    if message_id:
        head += f"Message-ID: {message_id}\r\n"
    head += f"MIME-Version: 1.0\r\nContent-Type: {content_type}\r\n{headers}\r\n"
    return (head + body).encode("utf-8")


def multipart(subtype: str, *parts: str, boundary: str = "b1") -> tuple[str, str]:
    body = "".join(f"--{boundary}\r\n{p}\r\n" for p in parts) + f"--{boundary}--\r\n"
    return body, f'multipart/{subtype}; boundary="{boundary}"'


def part(content_type: str, body: str, extra: str = "") -> str:
    return f"Content-Type: {content_type}\r\n{extra}\r\n{body}"


def test_plain_mail_has_no_calendar() -> None:
    found = problem(parse_message(mail("Ik kan helaas niet komen.\r\n", "text/plain")))
    assert found.kind == "no_calendar"


def test_a_request_is_not_a_reply() -> None:
    found = problem(parse_message(mail(calendar("REQUEST"), "text/calendar; method=REQUEST")))
    assert (found.kind, found.detail) == ("not_reply", "geen REPLY (METHOD: REQUEST)")


def test_missing_sequence_is_zero_and_method_may_come_from_the_content_type() -> None:
    raw = mail(calendar(method=None, sequence=None), "text/calendar; method=REPLY")
    (reply,) = replies(parse_message(raw))
    assert reply.sequence == 0


def test_garbage_sequence_is_corrupt() -> None:
    found = problem(parse_message(mail(calendar(sequence="twee"), "text/calendar")))
    assert found.kind == "corrupt" and "SEQUENCE" in found.detail


def test_reply_without_attendee_or_uid_is_corrupt() -> None:
    attendee_line = "ATTENDEE;CN=Jan;PARTSTAT=ACCEPTED:mailto:jan@zorg.example\r\n"
    no_attendee = calendar().replace(attendee_line, "")
    assert problem(parse_message(mail(no_attendee, "text/calendar"))).kind == "corrupt"
    no_uid = calendar().replace("UID:uid-1@wiz.example\r\n", "")
    assert problem(parse_message(mail(no_uid, "text/calendar"))).kind == "corrupt"


def test_deeply_nested_calendar_attachment_by_file_name() -> None:
    inner, inner_type = multipart(
        "alternative",
        part("text/plain", "zie bijlage"),
        part(
            "application/octet-stream",
            calendar(),
            'Content-Disposition: attachment; filename="antwoord.ics"\r\n',
        ),
        boundary="b3",
    )
    middle, middle_type = multipart("related", part(inner_type, inner), boundary="b2")
    outer, outer_type = multipart("mixed", part(middle_type, middle), boundary="b1")
    (reply,) = replies(parse_message(mail(outer, outer_type)))
    assert reply.attendee == "jan@zorg.example"


def test_forwarded_reply_and_winmail_dat_are_ignored() -> None:
    forwarded = mail(calendar(), "text/calendar; method=REPLY", message_id="<inner@test>")
    body, content_type = multipart(
        "mixed",
        part("text/plain", "Ter info, het antwoord van Jan."),
        part("message/rfc822", forwarded.decode()),
        part(
            "application/ms-tnef",
            "eJ8+IhAAAQaQCAAEAAAAAAABAAEAAQeQBgAIAAAA5AQAAAAAAADoAAEIgAcAGAAAAElQTS5NaWNy",
            'Content-Disposition: attachment; filename="winmail.dat"\r\n'
            "Content-Transfer-Encoding: base64\r\n",
        ),
    )
    assert problem(parse_message(mail(body, content_type))).kind == "no_calendar"


def test_declared_latin1_and_unknown_charsets() -> None:
    latin = mail(calendar(cn="Müller"), "text/calendar; charset=iso-8859-1; method=REPLY")
    latin = latin.replace("Müller".encode(), "Müller".encode("latin-1"))
    assert replies(parse_message(latin))[0].attendee_name == "Müller"
    unknown = mail(calendar(cn="Müller"), "text/calendar; charset=x-no-such-charset")
    assert replies(parse_message(unknown))[0].attendee_name == "Müller"  # read as UTF-8


def test_base64_and_quoted_printable_parts() -> None:
    b64 = base64.encodebytes(calendar().encode()).decode()
    qp = quopri.encodestring(calendar(partstat="TENTATIVE").encode()).decode()
    body, content_type = multipart(
        "mixed",
        part("text/calendar; method=REPLY", b64, "Content-Transfer-Encoding: base64\r\n"),
        part("text/calendar; method=REPLY", qp, "Content-Transfer-Encoding: quoted-printable\r\n"),
    )
    found = replies(parse_message(mail(body, content_type)))
    assert [r.partstat for r in found] == ["ACCEPTED", "TENTATIVE"]
    # Two different answers in one mail: each has its own key.
    assert [r.message_key for r in found] == ["<m1@test>", "<m1@test>#2"]


def test_no_message_id_gives_a_key_from_the_bytes() -> None:
    raw = mail(calendar(), "text/calendar", message_id="")
    (reply,) = replies(parse_message(raw))
    assert reply.message_key == "sha256:" + hashlib.sha256(raw).hexdigest()
    assert parse_message(raw) == parse_message(raw)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff" * 500,
        b"not a mail at all",
        b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/calendar\r\n",
        b"Content-Type: text/calendar\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!====",
        b"Content-Type: text/calendar\r\n\r\nBEGIN:VCALENDAR\r\nMETHOD:REPLY\r\n\xff\xfe\x00",
        b"From: =?utf-8?q?broken\r\nMessage-ID: <" + b"x" * 5000 + b">\r\n\r\nbody",
        b"Date: yesterday\r\nFrom: <<<>>>\r\nContent-Type: text/calendar; charset=\r\n\r\n:::",
    ],
)
def test_bad_input_never_raises(raw: bytes) -> None:
    found = problem(parse_message(raw))
    assert found.kind in ("corrupt", "no_calendar")
    assert len(found.mail.message_key) <= 300


def test_a_mime_bomb_is_corrupt_not_a_crash() -> None:
    inner = part("text/calendar; method=REPLY", calendar())
    body, content_type = multipart("mixed", inner, boundary="b0")
    for depth in range(1, 40):
        body, content_type = multipart("mixed", part(content_type, body), boundary=f"b{depth}")
    found = problem(parse_message(mail(body, content_type)))
    assert found.kind == "corrupt"
