"""The kept proposal of the schedule page, without a database: its fingerprint changes with
every input the plan depends on and with nothing else, the JSON gives back the plan it was made
from, and the page's rows name who gets which calendar message and who is not placed and why."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from consult.app.schedule_proposals import (
    Member,
    SessionFacts,
    SlotFacts,
    fingerprint,
    plan_json,
    proposal_view,
    solution_from,
)
from consult.i18n import use_language
from consult.scheduling.diff import plan_changes
from consult.scheduling.model import GroupKey, Person, Problem, Reason, Solution, ThemeRules
from consult.scheduling.proposal import RoundProblem, RunningGroup

START = datetime(2030, 3, 10, 9, 0, tzinfo=UTC)


def _person(pid: int, sector: str, slots: frozenset[int]) -> Person:
    return Person(pid, sector, "care", "Twente", ("innovatie",), slots)


def _round(people: tuple[Person, ...], running: tuple[RunningGroup, ...] = ()) -> RoundProblem:
    rules = ThemeRules("innovatie", (1, 2), group_min=1, group_max=4)
    previous = {pid: g.key for g in running for pid in g.members}
    return RoundProblem(
        "r", "Ronde", Problem(people, (rules,), previous), {}, {1: START, 2: START}, (), running
    )


PEOPLE = (_person(1, "vvt", frozenset({1})), _person(2, "ggz", frozenset({1})))


def test_the_fingerprint_follows_the_inputs_of_the_plan() -> None:
    base = _round(PEOPLE)
    assert fingerprint(base) == fingerprint(_round(PEOPLE))
    # The order people are read in does not matter; their answers do.
    assert fingerprint(_round(PEOPLE[::-1])) == fingerprint(base)
    ticked = (PEOPLE[0], replace(PEOPLE[1], available=frozenset({1, 2})))
    assert fingerprint(_round(ticked)) != fingerprint(base)
    assert fingerprint(_round(PEOPLE[:1])) != fingerprint(base)
    seated = (RunningGroup(7, GroupKey("innovatie", 1, 0), frozenset({1})),)
    assert fingerprint(_round(PEOPLE, seated)) != fingerprint(base)


def test_the_kept_json_gives_back_the_plan_it_was_made_from() -> None:
    rp = _round(PEOPLE)
    solution = Solution(
        groups={GroupKey("innovatie", 1, 0): (1,)},
        unplaced={2: Reason.DIVERSITY_RULE},
        status="OPTIMAL",
        wall_s=0.25,
    )
    plan = plan_json(rp, solution, plan_changes(rp.running, solution.groups))
    back = solution_from(plan)
    assert back.groups == solution.groups and back.unplaced == solution.unplaced
    assert back.status == "OPTIMAL" and plan["groups"][0]["sectors"] == {"vvt": 1}


def test_the_rows_say_who_gets_which_calendar_message_and_who_is_not_placed() -> None:
    running = (RunningGroup(7, GroupKey("innovatie", 1, 0), frozenset({1, 2})),)
    rp = _round((*PEOPLE, _person(3, "mbo", frozenset())), running)
    # Person 2 moves to slot 2 (a new session), person 1 stays, person 3 is not placed.
    solution = Solution(
        groups={GroupKey("innovatie", 1, 0): (1,), GroupKey("innovatie", 2, 0): (2,)},
        unplaced={3: Reason.NO_AVAILABLE_SLOT},
    )
    plan = plan_json(rp, solution, plan_changes(rp.running, solution.groups))
    people = {
        1: Member("Anna", "vvt", "Twente"),
        2: Member("Bert", "ggz", "Zwolle"),
        3: Member("Carl", "mbo", "Achterhoek"),
    }
    slots = {
        1: SlotFacts("innovatie", START, START + timedelta(hours=1)),
        2: SlotFacts("innovatie", START + timedelta(days=1), START + timedelta(days=1, hours=1)),
    }
    sessions = {7: SessionFacts("innovatie", 1, START, START + timedelta(hours=1), 1)}
    with use_language("nl"):
        view = proposal_view(
            plan, START, None, False, people, slots, sessions, {"innovatie": "Innovatie"}, {}
        )
    (moved,) = view.calendar
    assert moved.name == "Bert" and moved.change.startswith("verplaatst")
    assert "Innovatie, groep 1" in moved.detail and "nieuwe sessie" in moved.detail
    (carl,) = view.unplaced
    assert carl.name == "Carl" and "geen tijdslot" in carl.reason
    assert view.existing_changed == 1 and view.placed == 2 and view.people == 3
    assert [g.new for g in view.themes[0].groups] == [False, True]
