"""Concurrent senders on one outbox: every message goes out once, by one of them.

The two-process test is PostgreSQL only: SKIP LOCKED is what keeps concurrent senders apart
there, and that is the set-up used at scale. It needs CONSULT_TEST_DATABASE_URL and fails
without it (CI sets it). The lease test runs on both backends.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

import pytest

from consult.mail.outbox import SendCounts, send_due
from consult.settings import Organiser, SmtpSettings
from models import OutboxStatus
from models.db import Database
from tests.integration.mail.faulty_smtp import FaultPlan, FaultyServer
from tests.integration.mail.outbox_support import (
    fill_outbox,
    outbox_rows,
    sent_count,
    start_sender,
    wait_for_sender,
    write_consult_toml,
)

MESSAGES = 2000
SENDER_TIMEOUT_S = 60


@pytest.mark.slow
@pytest.mark.postgres
def test_two_sender_processes_deliver_2000_messages_once_each(
    postgres_url: str, tmp_path: Path
) -> None:
    db = Database(postgres_url)
    try:
        fill_outbox(db, [f"bestuurder{i}@zorg-oost.example" for i in range(MESSAGES)])
        queued = {row.message_id for row in outbox_rows(db)}
        assert len(queued) == MESSAGES

        # A relay that takes a millisecond per reply, so neither sender can finish before the
        # other has started; small batches so their claims interleave.
        with FaultyServer(FaultPlan(seed=7, reply_delay_s=0.001)) as server:
            config = write_consult_toml(
                tmp_path,
                postgres_url,
                {
                    "host": "127.0.0.1",
                    "port": server.port,
                    "connections": 3,
                    "batch_size": 50,
                    "timeout_s": 10.0,
                    "retry_base_s": 0.1,
                    "retry_max_s": 1.0,
                    "retry_wait_s": 10.0,
                },
            )
            logs = [tmp_path / "sender-a.log", tmp_path / "sender-b.log"]
            started = time.monotonic()
            deadline = started + SENDER_TIMEOUT_S
            processes = [start_sender(config, log) for log in logs]
            try:
                outputs = [
                    wait_for_sender(p, log, deadline - time.monotonic())
                    for p, log in zip(processes, logs, strict=True)
                ]
            finally:
                for process in processes:
                    if process.poll() is None:
                        process.kill()
                        process.wait(timeout=10)
            elapsed = time.monotonic() - started
            accepted = server.accepted
        rows = outbox_rows(db)
    finally:
        db.dispose()

    per_id = Counter(a.message_id for a in accepted)
    twice = {mid: n for mid, n in per_id.items() if n > 1}
    assert not twice, f"{len(twice)} messages delivered more than once"
    assert len(accepted) == MESSAGES
    assert set(per_id) == queued
    assert all(row.status == OutboxStatus.SENT for row in rows)
    assert all(row.attempts == 1 for row in rows)

    per_process = [sent_count(output) for output in outputs]
    assert sum(per_process) == MESSAGES, outputs
    assert all(n > 0 for n in per_process), f"one sender did everything: {per_process}"
    print(f"\nsent per process: {per_process}; both done in {elapsed:.1f} s")


@pytest.mark.slow
def test_a_batch_that_outlasts_its_lease_is_not_sent_again_by_a_second_sender(
    database_url: str,
) -> None:
    """A throttled or slow relay can make one batch take longer than the lease. The sender keeps
    renewing the lease while it sends; otherwise the second sender would claim the rows not yet
    sent and both would send them (a duplicate with no crash at all)."""
    addresses = [f"bestuurder{i}@zorg-oost.example" for i in range(30)]
    db = Database(database_url)
    try:
        fill_outbox(db, addresses)
        # ~160 ms a message over one connection: the batch of 30 takes ~5 s, two and a half
        # leases. (A lease of a second or less can lapse on an overloaded machine whose event
        # loop or disk stalls that long; that is what lease_s is for, not something to test.)
        with FaultyServer(FaultPlan(seed=5, reply_delay_s=0.04)) as server:
            smtp = SmtpSettings(
                host="127.0.0.1",
                port=server.port,
                timeout_s=5.0,
                connections=1,
                batch_size=len(addresses),
                lease_s=2.0,
                retry_base_s=0.1,
                retry_max_s=0.5,
                retry_wait_s=10.0,
            )

            async def two_senders() -> list[SendCounts]:
                async def second() -> SendCounts:
                    await asyncio.sleep(0.1)  # the first one has claimed the whole batch
                    return await send_due(db, smtp, Organiser())

                return list(await asyncio.gather(send_due(db, smtp, Organiser()), second()))

            started = time.monotonic()
            first, second = asyncio.run(asyncio.wait_for(two_senders(), timeout=60))
            elapsed = time.monotonic() - started
            accepted = server.accepted_ids()
        rows = outbox_rows(db)
    finally:
        db.dispose()
    assert {mid: n for mid, n in accepted.items() if n > 1} == {}
    assert len(accepted) == len(addresses)
    assert all(row.status == OutboxStatus.SENT and row.attempts == 1 for row in rows)
    # One sender took the whole batch (normally the first) and sent it all, for longer than
    # one lease; the other waited for it and found nothing left.
    assert sorted([first.sent, second.sent]) == [0, len(addresses)]
    assert elapsed > 2 * smtp.lease_s
