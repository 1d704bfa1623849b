"""A scheduling run in a process of its own, as a Prefect worker runs it: the schedule task,
then the calendar task, for one round. Started by tests through multiprocessing (spawn), so it
lives outside the test module."""

from __future__ import annotations

import os
from datetime import datetime
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier

from consult.settings import CONFIG_ENV


def schedule_and_invite(
    config: str, round_id: int, now: datetime, start: Barrier, results: Queue[object]
) -> None:
    os.environ[CONFIG_ENV] = config
    # Imported before the barrier: Prefect takes seconds to import, and both runs should
    # reach the database at the same moment.
    from consult.flows.round_cycle import find_sessions, queue_calendar_batch, schedule_task

    start.wait(timeout=120)
    summary = schedule_task.fn(round_id, now)
    queued = queue_calendar_batch.fn(find_sessions.fn(round_id))
    results.put((summary["sessions_created"], queued))
