"""The send path the flows use (send_due) against a relay that misbehaves in every usual way.

The seeded server answers 421/451 at RCPT and at the end of DATA, drops connections after the
message data but before its reply, answers slowly, and refuses some addresses for good. One run
of send_due must end with: every good address holding exactly one copy (counted by Message-ID at
the server), every refused address failed with the server's reply, nothing left pending.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from consult.mail import outbox
from consult.mail.outbox import SendCounts, send_due
from consult.settings import Settings, SmtpSettings
from models import OutboxStatus
from models.db import Database
from tests.integration.mail.faulty_smtp import FAULT_KINDS, REFUSAL, FaultPlan, FaultyServer
from tests.integration.mail.outbox_support import RowState, fill_outbox, outbox_rows

GOOD = [f"bestuurder{i}@zorg-oost.example" for i in range(145)]
GONE = [f"vertrokken{i}@zorg-oost.example" for i in range(5)]
PLAN = FaultPlan(
    seed=20250314,
    rcpt_transient=0.08,
    data_transient=0.08,
    drop_in_data=0.06,
    slow=0.3,
    slow_max_s=0.05,
    refuse=frozenset(GONE),
)


def _smtp(port: int) -> SmtpSettings:
    return SmtpSettings(
        host="127.0.0.1",
        port=port,
        timeout_s=5.0,
        connections=3,
        max_attempts=15,
        retry_base_s=0.05,
        retry_max_s=0.5,
        lease_s=5.0,
        retry_wait_s=30.0,
    )


def test_faulty_relay_ends_with_one_copy_per_good_address_and_550s_failed(
    settings: Settings,
) -> None:
    # Interleave the refused addresses with the good ones so they share connections and batches.
    addresses = list(GOOD)
    for n, address in enumerate(GONE):
        addresses.insert(7 + 29 * n, address)
    db = Database(settings.database_url)
    try:
        fill_outbox(db, addresses)
        queued = {row.recipient: row.message_id for row in outbox_rows(db)}

        with FaultyServer(PLAN) as server:
            started = time.monotonic()
            counts = asyncio.run(
                asyncio.wait_for(send_due(db, _smtp(server.port), settings.organiser), timeout=120)
            )
            elapsed = time.monotonic() - started
            accepted = server.accepted
            faults = server.faults
        rows = outbox_rows(db)
    finally:
        db.dispose()

    # The faults really happened, each kind of them, so nothing below passes vacuously.
    for kind in (*FAULT_KINDS, "refused_550"):
        assert faults[kind] > 0, f"no {kind} injected: {faults}"
    assert faults["refused_550"] >= len(GONE)

    # Every good address: its own Message-ID accepted exactly once, and nothing else for it.
    per_id = Counter(a.message_id for a in accepted)
    assert {queued[address] for address in GOOD} == set(per_id)
    duplicates = {mid: n for mid, n in per_id.items() if n != 1}
    assert not duplicates, f"accepted more than once: {duplicates}"
    assert sorted(a.recipient for a in accepted) == sorted(GOOD)
    assert all(queued[a.recipient] == a.message_id for a in accepted)

    # The outbox agrees with the server.
    by_recipient = {row.recipient: row for row in rows}
    assert not [r for r in rows if r.status in (OutboxStatus.PENDING, OutboxStatus.SENDING)]
    for address in GOOD:
        assert by_recipient[address].status == OutboxStatus.SENT
        assert by_recipient[address].last_error is None
    for address in GONE:
        row = by_recipient[address]
        assert row.status == OutboxStatus.FAILED
        assert row.last_error is not None
        assert "550" in row.last_error and "mailbox unavailable" in row.last_error
        assert row.last_error == REFUSAL
        assert row.attempts == 1  # a 5xx is final at once
    retried = [r for r in rows if r.attempts > 1]
    assert retried and all(r.recipient in GOOD for r in retried)
    assert max(r.attempts for r in rows) < 15

    assert (counts.sent, counts.failed, counts.retry_later) == (len(GOOD), len(GONE), 0)
    print(
        f"\nfaults injected: {dict(sorted(faults.items()))}; rows retried: {len(retried)}, "
        f"most attempts: {max(r.attempts for r in rows)}; send_due took {elapsed:.2f} s"
    )


def test_a_run_with_nothing_due_leaves_at_once(settings: Settings) -> None:
    """send_due must not wait out retry_wait when nothing is left to wait for."""
    db = Database(settings.database_url)
    try:
        with FaultyServer(FaultPlan(seed=1)) as server:
            started = time.monotonic()
            counts = asyncio.run(
                asyncio.wait_for(
                    send_due(
                        db, _smtp(server.port), settings.organiser, retry_wait=timedelta(seconds=60)
                    ),
                    timeout=30,
                )
            )
            elapsed = time.monotonic() - started
    finally:
        db.dispose()
    assert (counts.sent, counts.failed, counts.retry_later) == (0, 0, 0)
    assert elapsed < 5


def test_outcomes_recorded_while_sending_are_all_written_before_send_due_returns(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slow database write of outcomes (a busy PostgreSQL, a locked SQLite) must not outlive
    its batch: send_due reports and leaves every row as it really is."""
    original = outbox._Recorder._write

    def slow_write(self: Any, results: dict[int, Any]) -> None:
        time.sleep(0.4)
        original(self, results)

    monkeypatch.setattr(outbox._Recorder, "_write", slow_write)
    monkeypatch.setattr(outbox._Recorder, "FLUSH_EVERY_S", 0.05)
    addresses = [f"bestuurder{i}@zorg-oost.example" for i in range(12)]
    db = Database(settings.database_url)
    try:
        fill_outbox(db, addresses)
        with FaultyServer(FaultPlan(seed=3, reply_delay_s=0.01)) as server:
            smtp = _smtp(server.port).model_copy(update={"connections": 1})

            async def send_and_look() -> tuple[SendCounts, list[RowState]]:
                counts = await send_due(db, smtp, settings.organiser, retry_wait=timedelta(0))
                # Straight away, while the event loop (and anything it left running) still runs.
                return counts, outbox_rows(db)

            counts, rows = asyncio.run(asyncio.wait_for(send_and_look(), timeout=60))
            accepted = server.accepted_ids()
    finally:
        db.dispose()
    assert sorted(accepted.values()) == [1] * len(addresses)
    assert [row.status for row in rows] == [OutboxStatus.SENT] * len(addresses)
    assert (counts.sent, counts.failed, counts.retry_later) == (len(addresses), 0, 0)
