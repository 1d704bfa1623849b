"""Delivery against real SMTP servers on 127.0.0.1 (aiosmtpd in a background thread)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from consult.mail.mime import OutgoingMail, build_message, make_message_id
from consult.mail.sink import EmlSink, free_port
from consult.mail.smtp import DeliveryResult, deliver
from consult.settings import Organiser, SmtpSettings

DATE = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
ORGANISER = Organiser(name="Secretariaat WiZ", email="secretariaat@wiz.example")
ICS = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//consult//test//EN\r\nMETHOD:REQUEST\r\n"
    b"BEGIN:VEVENT\r\nUID:r1@wiz.example\r\nDTSTAMP:20250314T093000Z\r\n"
    b"DTSTART:20250401T080000Z\r\nSUMMARY:Ronde 1 \xe2\x80\x94 caf\xc3\xa9\r\n"
    b"END:VEVENT\r\nEND:VCALENDAR\r\n"
)


def _message(i: int, email_address: str | None = None, **extra: Any) -> EmailMessage:
    mail = OutgoingMail(
        message_id=make_message_id("wiz.example", f"test:{i}"),
        recipient_email=email_address or f"person{i}@example.org",
        recipient_name=f"Persoon {i} Ødegård",
        subject=f"Uitnodiging {i}",
        text=f"Beste persoon {i},\n\nWelkom.\n",
        html=f"<p>Beste persoon {i},</p>",
        **extra,
    )
    return build_message(mail, ORGANISER, date=DATE)


def _settings(port: int, **changes: Any) -> SmtpSettings:
    values: dict[str, Any] = {"host": "127.0.0.1", "port": port, "timeout_s": 5.0}
    return SmtpSettings(**(values | changes))


def _message_id(raw: bytes) -> str:
    return str(email.message_from_bytes(raw, policy=email.policy.default)["Message-ID"])


class RecordingHandler:
    """Accepts everything except the configured addresses; remembers what arrived."""

    def __init__(
        self,
        *,
        refuse: dict[str, str] | None = None,
        drop: Sequence[str] = (),
        stall: Sequence[str] = (),
    ) -> None:
        self.refuse = refuse or {}
        self.drop = set(drop)
        self.stall = set(stall)
        self.received: list[bytes] = []
        self._lock = threading.Lock()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        if address in self.drop:
            server.transport.close()
            return "421 4.3.2 closing connection"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.stall.intersection(envelope.rcpt_tos):
            await asyncio.sleep(30)
        with self._lock:
            self.received.append(envelope.original_content)
        return "250 OK queued"

    def message_ids(self) -> list[str]:
        with self._lock:
            return [_message_id(raw) for raw in self.received]


class CountingController(Controller):
    """Counts the SMTP connections the server accepts, and the most open at once."""

    def __init__(self, handler: Any, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.opened = 0
        self.open_now = 0
        self.most_open = 0

    def factory(self) -> SMTP:
        controller = self

        class CountingSMTP(SMTP):
            def connection_made(self, transport: Any) -> None:
                controller.opened += 1
                controller.open_now += 1
                controller.most_open = max(controller.most_open, controller.open_now)
                super().connection_made(transport)

            def connection_lost(self, exc: Exception | None) -> None:
                controller.open_now -= 1
                super().connection_lost(exc)

        return CountingSMTP(self.handler, **self.SMTP_kwargs)

    def reset_counts(self) -> None:
        # Controller.start() opens one probe connection of its own.
        self.opened = self.most_open = 0


@contextmanager
def running(handler: Any) -> Iterator[CountingController]:
    controller = CountingController(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    controller.reset_counts()
    try:
        yield controller
    finally:
        controller.stop()


def test_fifty_messages_arrive_in_the_sink_over_three_connections(tmp_path: Path) -> None:
    messages = [(i, _message(i)) for i in range(50)]
    with EmlSink(tmp_path / "outbox") as sink:
        results = asyncio.run(deliver(messages, _settings(sink.port, connections=3)))

    assert list(results) == list(range(50))
    assert all(r.ok and not r.permanent for r in results.values())
    assert all(r.reply.startswith("250") for r in results.values())
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 50
    assert not list((tmp_path / "outbox").glob(".*.tmp"))
    received = {_message_id(path.read_bytes()) for path in files}
    assert received == {str(message["Message-ID"]) for _, message in messages}
    for path in files:
        number, _, rest = path.name.partition("-")
        assert number.isdigit()
        assert rest.removesuffix(".eml") == _message_id(path.read_bytes()).strip("<>")


def test_sink_keeps_received_bytes_and_calendar_crlf(tmp_path: Path) -> None:
    message = _message(1, calendar_ics=ICS, calendar_method="REQUEST")
    with EmlSink(tmp_path) as sink:
        results = asyncio.run(deliver([("only", message)], _settings(sink.port)))
    assert results["only"].ok
    (path,) = tmp_path.glob("*.eml")
    raw = path.read_bytes()
    assert raw.startswith(b"From: ")  # nothing prepended (no Return-Path / X-Envelope-To)
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    calendar = next(p for p in parsed.walk() if p.get_content_type() == "text/calendar")
    assert calendar.get_param("method") == "REQUEST"
    assert calendar.get_payload(decode=True) == ICS


def test_sink_numbering_continues_after_restart(tmp_path: Path) -> None:
    for round_ in range(2):
        with EmlSink(tmp_path) as sink:
            asyncio.run(deliver([(round_, _message(round_))], _settings(sink.port)))
    names = sorted(path.name for path in tmp_path.glob("*.eml"))
    assert [name.split("-", 1)[0] for name in names] == ["000001", "000002"]


def test_sink_port_is_only_known_once_started(tmp_path: Path) -> None:
    sink = EmlSink(tmp_path)
    with pytest.raises(RuntimeError):
        _ = sink.port
    with sink:
        assert sink.port > 0


def test_permanent_and_transient_refusals_do_not_stop_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    handler = RecordingHandler(
        refuse={
            "gone@example.org": "550 5.1.1 <gone@example.org>: user unknown",
            "busy@example.org": "451 4.7.1 greylisted, try again later",
        }
    )
    messages: list[tuple[str, EmailMessage]] = [(f"ok{i}", _message(i)) for i in range(8)]
    messages.insert(2, ("gone", _message(100, "gone@example.org")))
    messages.insert(6, ("busy", _message(101, "busy@example.org")))

    with caplog.at_level(logging.WARNING, logger="consult.mail"), running(handler) as server:
        results = asyncio.run(deliver(messages, _settings(server.port, connections=2)))

    assert results["gone"] == DeliveryResult(
        ok=False,
        permanent=True,
        reply="550 5.1.1 <gone@example.org>: user unknown",
        address_refused=True,
    )
    assert not results["busy"].ok
    assert not results["busy"].permanent
    assert results["busy"].reply.startswith("451")
    assert all(results[f"ok{i}"].ok for i in range(8))
    assert sorted(handler.message_ids()) == sorted(
        str(message["Message-ID"]) for key, message in messages if key.startswith("ok")
    )

    failures = [r for r in caplog.records if r.name == "consult.mail"]
    assert len(failures) == 2
    logged = "\n".join(r.getMessage() for r in failures)
    assert "gone@example.org" in logged and "550" in logged
    assert "busy@example.org" in logged and "451" in logged
    assert "Beste persoon" not in logged


def test_connections_are_reused_and_capped() -> None:
    handler = RecordingHandler()
    messages = [(i, _message(i)) for i in range(30)]
    with running(handler) as server:
        results = asyncio.run(deliver(messages, _settings(server.port, connections=3)))
        opened, most_open = server.opened, server.most_open

    assert all(r.ok for r in results.values())
    assert len(handler.received) == 30
    assert 1 <= opened <= 3
    assert most_open <= 3


def test_never_more_connections_than_messages() -> None:
    handler = RecordingHandler()
    messages = [(i, _message(i)) for i in range(2)]
    with running(handler) as server:
        asyncio.run(deliver(messages, _settings(server.port, connections=8)))
        opened = server.opened
    assert opened <= 2


def test_dropped_connection_is_transient_and_next_message_reconnects() -> None:
    handler = RecordingHandler(drop=["drop@example.org"])
    messages = [
        ("a", _message(1)),
        ("drop", _message(2, "drop@example.org")),
        ("b", _message(3)),
        ("c", _message(4)),
    ]
    with running(handler) as server:
        results = asyncio.run(deliver(messages, _settings(server.port, connections=1)))
        opened = server.opened

    assert not results["drop"].ok
    assert not results["drop"].permanent
    assert all(results[key].ok for key in "abc")
    assert len(handler.received) == 3
    assert opened == 2


def test_timeout_is_transient_and_the_rest_still_arrive() -> None:
    handler = RecordingHandler(stall=["slow@example.org"])
    messages = [
        ("slow", _message(1, "slow@example.org")),
        ("a", _message(2)),
        ("b", _message(3)),
    ]
    with running(handler) as server:
        settings = _settings(server.port, connections=1, timeout_s=0.5)
        results = asyncio.run(deliver(messages, settings))

    assert not results["slow"].ok
    assert not results["slow"].permanent
    assert results["a"].ok and results["b"].ok
    assert len(handler.received) == 2


def test_unreachable_server_gives_a_transient_result_for_every_key() -> None:
    messages = [(i, _message(i)) for i in range(10)]
    results = asyncio.run(deliver(messages, _settings(free_port(), connections=2)))
    assert list(results) == list(range(10))
    assert all(not r.ok and not r.permanent for r in results.values())


def test_message_without_recipient_is_permanent_and_others_still_go(tmp_path: Path) -> None:
    broken = _message(1)
    del broken["To"]
    with EmlSink(tmp_path) as sink:
        results = asyncio.run(
            deliver([("broken", broken), ("fine", _message(2))], _settings(sink.port))
        )
    assert results["broken"].permanent and not results["broken"].ok
    assert results["fine"].ok
    assert len(list(tmp_path.glob("*.eml"))) == 1


def test_empty_batch_opens_nothing() -> None:
    assert asyncio.run(deliver([], _settings(free_port()))) == {}


def test_rate_limit_spaces_the_sends(tmp_path: Path) -> None:
    messages = [(i, _message(i)) for i in range(5)]
    with EmlSink(tmp_path) as sink:
        settings = _settings(sink.port, connections=2, rate_per_minute=600)
        started = time.monotonic()
        results = asyncio.run(deliver(messages, settings))
        elapsed = time.monotonic() - started

    assert all(r.ok for r in results.values())
    # Five starts 0.1 s apart take at least 0.4 s; the bound is loose to avoid flakes.
    assert elapsed >= 0.35
