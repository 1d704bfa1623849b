"""A sender process killed in the middle of a batch, then a fresh one: nothing is lost, and a
message goes out twice only inside the documented window (consult.mail.outbox): the server had
accepted it and its row was not yet marked sent when the process died; the resend carries the
same Message-ID.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

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

MESSAGES = 600
BATCH = 100
# Killed in the middle of the second batch: its first half is being delivered, the second half
# is claimed (SENDING) and not yet attempted.
KILL_AFTER = 150
TIMEOUT_S = 60


@pytest.mark.slow
def test_killed_sender_loses_nothing_and_duplicates_only_inside_the_window(
    database_url: str, tmp_path: Path
) -> None:
    db = Database(database_url)
    try:
        fill_outbox(db, [f"bestuurder{i}@zorg-oost.example" for i in range(MESSAGES)])
        queued = {row.message_id for row in outbox_rows(db)}

        # Every reply 5 ms late: about 20 ms a message per connection, so the kill finds the
        # sender mid-batch. The short lease lets the second sender take over the killed one's
        # claims soon; it waits for them (retry_wait_s) instead of leaving them behind.
        with FaultyServer(FaultPlan(seed=11, reply_delay_s=0.005)) as server:
            config = write_consult_toml(
                tmp_path,
                database_url,
                {
                    "host": "127.0.0.1",
                    "port": server.port,
                    "connections": 3,
                    "batch_size": BATCH,
                    "timeout_s": 10.0,
                    "lease_s": 2.0,
                    "retry_base_s": 0.1,
                    "retry_max_s": 1.0,
                    "retry_wait_s": 30.0,
                },
            )
            first_log = tmp_path / "first.log"
            first = start_sender(config, first_log)
            try:
                deadline = time.monotonic() + TIMEOUT_S
                while len(server.accepted) < KILL_AFTER:
                    if first.poll() is not None:
                        pytest.fail(f"sender ended before the kill:\n{first_log.read_text()}")
                    if time.monotonic() > deadline:
                        pytest.fail(f"only {len(server.accepted)} accepted in {TIMEOUT_S} s")
                    time.sleep(0.005)
                first.kill()  # SIGKILL: no cleanup, no last flush
                first.wait(timeout=10)
            finally:
                if first.poll() is None:
                    first.kill()
                    first.wait(timeout=10)
            # Let the server finish with the dead connections before taking stock.
            time.sleep(0.2)
            at_kill = {row.message_id: row.status for row in outbox_rows(db)}
            accepted_before = Counter(a.message_id for a in server.accepted)

            second_log = tmp_path / "second.log"
            started = time.monotonic()
            second_output = wait_for_sender(start_sender(config, second_log), second_log, TIMEOUT_S)
            second_took = time.monotonic() - started
            accepted = Counter(a.message_id for a in server.accepted)
        rows = outbox_rows(db)
    finally:
        db.dispose()

    sent_at_kill = {mid for mid, status in at_kill.items() if status == OutboxStatus.SENT}
    sending_at_kill = {mid for mid, status in at_kill.items() if status == OutboxStatus.SENDING}
    assert 0 < len(sent_at_kill) < MESSAGES
    assert sending_at_kill, "the kill did not land in a batch; the window was not exercised"
    assert len(accepted_before) < MESSAGES

    # Before the kill: nothing went out twice, and only claimed rows went out at all.
    assert max(accepted_before.values()) == 1
    assert set(accepted_before) <= sent_at_kill | sending_at_kill
    assert sent_at_kill <= set(accepted_before)

    # Nothing lost.
    assert set(accepted) == queued
    assert all(row.status == OutboxStatus.SENT for row in rows)

    # Marked sent before the kill: delivered exactly once.
    assert all(accepted[mid] == 1 for mid in sent_at_kill)
    # Any duplicate is inside the window: the server had it before the kill, the row had not
    # been marked sent, and it went out once more after the restart, with the same Message-ID.
    duplicates = {mid for mid, n in accepted.items() if n > 1}
    assert duplicates <= sending_at_kill & set(accepted_before)
    assert all(accepted[mid] == 2 for mid in duplicates)

    # The second sender sent exactly what had not been marked sent.
    assert sent_count(second_output) == MESSAGES - len(sent_at_kill)
    print(
        f"\nat kill: {len(accepted_before)} accepted, {len(sent_at_kill)} rows sent, "
        f"{len(sending_at_kill)} sending; duplicates after restart: {len(duplicates)}; "
        f"second sender took {second_took:.1f} s"
    )
