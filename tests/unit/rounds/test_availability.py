"""A ticked time stands for every slot the invitee's themes have at that time."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from consult.rounds.answers import AnswerError
from consult.rounds.availability import CandidateTime, ticked_slot_ids

AMS = ZoneInfo("Europe/Amsterdam")
TEN = datetime(2030, 3, 12, 10, 0, tzinfo=AMS)
TWO = datetime(2030, 3, 12, 14, 0, tzinfo=AMS)
LONG = timedelta(minutes=90)
TIMES = [
    # Innovatie (slot 7) and Anders besturen (slot 3) share 10:00; only Innovatie has 14:00.
    CandidateTime(TEN, TEN + LONG, (7, 3), ("innovatie", "anders_besturen")),
    CandidateTime(TWO, TWO + LONG, (8,), ("innovatie",)),
]


def test_a_time_is_sent_as_its_lowest_slot_id_whatever_the_order_of_the_themes() -> None:
    assert [t.id for t in TIMES] == [3, 8]


@pytest.mark.parametrize("sent", [[3], [7], [3, 7]])
def test_any_slot_of_a_time_ticks_all_of_its_slots(sent: list[int]) -> None:
    assert ticked_slot_ids(TIMES, sent) == {3, 7}


def test_no_tick_is_no_slot_and_each_time_counts_on_its_own() -> None:
    assert ticked_slot_ids(TIMES, []) == set()
    assert ticked_slot_ids(TIMES, [8]) == {8}
    assert ticked_slot_ids(TIMES, [8, 3]) == {3, 7, 8}


def test_a_slot_that_is_not_one_of_the_times_is_refused() -> None:
    with pytest.raises(AnswerError) as refused:
        ticked_slot_ids(TIMES, [3, 99])
    assert refused.value.code == "unknown_slot"
