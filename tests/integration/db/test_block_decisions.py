"""Staff decisions on building blocks against a real database: every operation, its audit
event, every refusal, and the rule that a contribution rests in at most one block."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consult.synthesis import decisions
from consult.synthesis.decisions import BadInput, DecisionError
from models import (
    BlockEvent,
    BlockStatus,
    BuildingBlock,
    Contribution,
    Round,
    Theme,
    block_contribution,
)
from models.db import Database
from tests.integration.db.builders import Scenario, make_block, seed_scenario

ACTOR = "Fatima El Amrani"
OTHER_ACTOR = "Joost Hendriks"
MISSING = 999_999


@pytest.fixture
def s(db: Database) -> Scenario:
    return seed_scenario(db)


def _placements(session: Session, round_id: int) -> dict[int, tuple[int, str]]:
    """contribution id -> (block id, placed_by) for the round's placed contributions."""
    rows = session.execute(
        select(
            block_contribution.c.contribution_id,
            block_contribution.c.block_id,
            block_contribution.c.placed_by,
        )
        .join(Contribution, Contribution.id == block_contribution.c.contribution_id)
        .where(Contribution.round_id == round_id)
    )
    return {cid: (bid, by) for cid, bid, by in rows}


def _events(db: Database, round_id: int, block_id: int | None = None) -> list[BlockEvent]:
    with db.unit_of_work() as session:
        return decisions.history(session, round_id, block_id)


def _block(db: Database, block_id: int) -> BuildingBlock | None:
    with db.unit_of_work() as session:
        return session.get(BuildingBlock, block_id)


# --------------------------------------------------------------------------------------------
# Rename and summary


def test_rename_strips_the_title_marks_the_block_and_records_old_and_new(
    db: Database, s: Scenario
) -> None:
    before = _block(db, s.a)
    assert before is not None and not before.edited_by_staff
    with db.unit_of_work() as session:
        assert decisions.rename(session, s.a, "  Begeleiding van zij-instromers \n", ACTOR)

    after = _block(db, s.a)
    assert after is not None
    assert after.title == "Begeleiding van zij-instromers"
    assert after.edited_by_staff
    assert after.updated_at >= before.updated_at
    [event] = _events(db, s.round_id)
    assert (event.block_id, event.actor, event.action) == (s.a, ACTOR, "rename")
    assert event.details == {
        "old_title": "Instroom en begeleiding",
        "new_title": "Begeleiding van zij-instromers",
    }
    assert isinstance(event.at, datetime) and event.at.tzinfo is not None


def test_rename_to_the_same_title_changes_and_records_nothing(db: Database, s: Scenario) -> None:
    with db.unit_of_work() as session:
        assert not decisions.rename(session, s.a, "Instroom en begeleiding ", ACTOR)
    block = _block(db, s.a)
    assert block is not None and not block.edited_by_staff
    assert _events(db, s.round_id) == []


def test_edit_summary_records_old_and_new_and_may_empty_it(db: Database, s: Scenario) -> None:
    with db.unit_of_work() as session:
        assert decisions.edit_summary(session, s.b, " Zorg op afstand spaart reistijd. ", ACTOR)
    with db.unit_of_work() as session:
        assert decisions.edit_summary(session, s.b, "", OTHER_ACTOR)
        assert not decisions.edit_summary(session, s.b, "  ", OTHER_ACTOR)

    block = _block(db, s.b)
    assert block is not None and block.summary == "" and block.edited_by_staff
    first, second = _events(db, s.round_id, s.b)
    assert (first.action, first.actor) == ("edit_summary", ACTOR)
    assert first.details == {
        "old_summary": "Samenvatting van zorg op afstand.",
        "new_summary": "Zorg op afstand spaart reistijd.",
    }
    assert (second.actor, second.details["new_summary"]) == (OTHER_ACTOR, "")


@pytest.mark.parametrize(
    ("title", "fragment"),
    [("", "titel mag niet leeg"), (" \t\n ", "titel mag niet leeg"), ("x" * 301, "301 tekens")],
)
def test_unusable_titles_are_refused(db: Database, s: Scenario, title: str, fragment: str) -> None:
    with db.unit_of_work() as session, pytest.raises(BadInput, match=fragment):
        decisions.rename(session, s.a, title, ACTOR)
    with db.unit_of_work() as session, pytest.raises(BadInput, match=fragment):
        decisions.split(session, s.a, [s.c[1]], title, ACTOR)


def test_longest_title_and_summary_are_accepted(db: Database, s: Scenario) -> None:
    with db.unit_of_work() as session:
        assert decisions.rename(session, s.a, "t" * 300, ACTOR)
        assert decisions.edit_summary(session, s.a, "s" * 5000, ACTOR)
    block = _block(db, s.a)
    assert block is not None and len(block.title) == 300 and len(block.summary) == 5000


def test_too_long_summary_and_missing_or_too_long_actor_are_refused(
    db: Database, s: Scenario
) -> None:
    with db.unit_of_work() as session:
        with pytest.raises(BadInput, match="5001 tekens"):
            decisions.edit_summary(session, s.a, "s" * 5001, ACTOR)
        with pytest.raises(BadInput, match="wie de wijziging doet"):
            decisions.approve(session, s.a, "   ")
        with pytest.raises(BadInput, match="langer dan 200"):
            decisions.rename(session, s.a, "Nieuw", "a" * 201)
    assert _events(db, s.round_id) == []


# --------------------------------------------------------------------------------------------
# Merge


def test_merge_moves_all_contributions_into_the_target_and_deletes_the_sources(
    db: Database, s: Scenario
) -> None:
    with db.unit_of_work() as session:
        extra = make_block(
            session,
            session.get_one(Round, s.round_id),
            session.get_one(Theme, s.innovatie),
            "Leren van elkaar",
            [session.get_one(Contribution, s.c[6])],
            key_terms=["platform"],
        )
        extra_id = extra.id
    with db.unit_of_work() as session:
        decisions.merge(session, s.a, [s.b, extra_id, s.b], ACTOR)

    with db.unit_of_work() as session:
        assert session.get(BuildingBlock, s.b) is None
        assert session.get(BuildingBlock, extra_id) is None
        target = session.get_one(BuildingBlock, s.a)
        assert [c.id for c in target.contributions] == [s.c[n] for n in range(1, 7)]
        # Staff wrote no words here: the pipeline may still describe the merged block anew.
        assert not target.edited_by_staff
        assert target.key_terms == [
            "begeleider",
            "stageplaatsen",
            "zorg op afstand",
            "domotica",
            "platform",
        ]
        assert target.quote_ids == [s.c[1], s.c[2], s.c[4]]
        placements = _placements(session, s.round_id)
    # The target's own contributions keep the pipeline's placement; the moved ones are staff's.
    assert {n: placements[s.c[n]] for n in range(1, 7)} == {
        1: (s.a, "pipeline"),
        2: (s.a, "pipeline"),
        3: (s.a, "pipeline"),
        4: (s.a, "staff"),
        5: (s.a, "staff"),
        6: (s.a, "staff"),
    }
    events = _events(db, s.round_id)
    assert [(e.block_id, e.action, e.actor) for e in events] == [
        (s.a, "merge", ACTOR),
        (s.a, "merge", ACTOR),
    ]
    first, second = events
    assert first.details["source_block_id"] == s.b
    assert first.details["source_title"] == "Zorg op afstand"
    assert first.details["source_summary"] == "Samenvatting van zorg op afstand."
    assert first.details["source_key_terms"] == ["zorg op afstand", "domotica"]
    assert first.details["contribution_ids"] == [s.c[4], s.c[5]]
    assert first.details["target_title"] == "Instroom en begeleiding"
    assert second.details["source_block_id"] == extra_id
    assert second.details["contribution_ids"] == [s.c[6]]


Refusal = Callable[[Session, Scenario], object]

MERGE_REFUSALS: list[tuple[str, Refusal, str]] = [
    (
        "unknown target",
        lambda ses, s: decisions.merge(ses, MISSING, [s.a], ACTOR),
        f"onbekende bouwsteen {MISSING}",
    ),
    (
        "unknown source",
        lambda ses, s: decisions.merge(ses, s.a, [s.b, MISSING], ACTOR),
        f"onbekende bouwsteen {MISSING}",
    ),
    (
        "itself",
        lambda ses, s: decisions.merge(ses, s.a, [s.a], ACTOR),
        "met zichzelf",
    ),
    ("no sources", lambda ses, s: decisions.merge(ses, s.a, [], ACTOR), "minstens één"),
    (
        "other theme",
        lambda ses, s: decisions.merge(ses, s.a, [s.c_block], ACTOR),
        "ander thema",
    ),
    (
        "other round",
        lambda ses, s: decisions.merge(ses, s.a, [s.d], ACTOR),
        "andere ronde",
    ),
]


@pytest.mark.parametrize(("case", "attempt", "fragment"), MERGE_REFUSALS, ids=lambda x: x)
def test_merge_refusals(
    db: Database, s: Scenario, case: str, attempt: Refusal, fragment: str
) -> None:
    with pytest.raises(DecisionError, match=fragment), db.unit_of_work() as session:
        attempt(session, s)
    # The unit of work rolled back: every block and placement is as it was.
    with db.unit_of_work() as session:
        assert {s.c[n]: s.a for n in (1, 2, 3)}.items() <= {
            cid: bid for cid, (bid, _) in _placements(session, s.round_id).items()
        }.items()
        assert session.get(BuildingBlock, s.b) is not None
    assert _events(db, s.round_id) == []


def test_a_refused_merge_with_one_bad_source_changes_nothing(db: Database, s: Scenario) -> None:
    with db.unit_of_work() as session:
        before = _placements(session, s.round_id)
    with pytest.raises(DecisionError), db.unit_of_work() as session:
        decisions.merge(session, s.a, [s.b, s.c_block], ACTOR)
    with db.unit_of_work() as session:
        assert _placements(session, s.round_id) == before
        assert session.get(BuildingBlock, s.b) is not None


# --------------------------------------------------------------------------------------------
# Split


def test_split_moves_the_chosen_contributions_into_a_new_draft_block(
    db: Database, s: Scenario
) -> None:
    with db.unit_of_work() as session:
        new_id = decisions.split(session, s.a, [s.c[2], s.c[3], s.c[2]], " Stages ", ACTOR)

    with db.unit_of_work() as session:
        new = session.get_one(BuildingBlock, new_id)
        old = session.get_one(BuildingBlock, s.a)
        assert (new.round_id, new.theme_id, new.status) == (
            s.round_id,
            s.innovatie,
            BlockStatus.DRAFT,
        )
        assert new.title == "Stages" and new.edited_by_staff and new.summary == ""
        assert [c.id for c in new.contributions] == [s.c[2], s.c[3]]
        assert [c.id for c in old.contributions] == [s.c[1]]
        # Representative quotes go along with their contribution.
        assert (old.quote_ids, new.quote_ids) == ([s.c[1]], [s.c[2]])
        placements = _placements(session, s.round_id)
    assert placements[s.c[2]] == (new_id, "staff")
    assert placements[s.c[3]] == (new_id, "staff")
    assert placements[s.c[1]] == (s.a, "pipeline")
    [event] = _events(db, s.round_id)
    assert (event.block_id, event.action, event.actor) == (s.a, "split", ACTOR)
    assert event.details == {
        "new_block_id": new_id,
        "new_title": "Stages",
        "contribution_ids": [s.c[2], s.c[3]],
        "remaining_ids": [s.c[1]],
    }
    # The new block's history starts with the split that made it.
    assert [e.id for e in _events(db, s.round_id, new_id)] == [event.id]


SPLIT_REFUSALS: list[tuple[str, Refusal, str]] = [
    (
        "unknown block",
        lambda ses, s: decisions.split(ses, MISSING, [s.c[1]], "X", ACTOR),
        f"onbekende bouwsteen {MISSING}",
    ),
    (
        "none",
        lambda ses, s: decisions.split(ses, s.a, [], "X", ACTOR),
        "minstens één bijdrage",
    ),
    (
        "all",
        lambda ses, s: decisions.split(ses, s.a, [s.c[1], s.c[2], s.c[3]], "X", ACTOR),
        "alle bijdragen",
    ),
    (
        "not in block",
        lambda ses, s: decisions.split(ses, s.a, [s.c[1], s.c[4], s.c[6]], "X", ACTOR),
        "bijdragen .* zitten niet in bouwsteen",
    ),
    (
        "unknown contribution",
        lambda ses, s: decisions.split(ses, s.a, [MISSING], "X", ACTOR),
        f"bijdrage {MISSING} zit niet in bouwsteen",
    ),
]


@pytest.mark.parametrize(("case", "attempt", "fragment"), SPLIT_REFUSALS, ids=lambda x: x)
def test_split_refusals(
    db: Database, s: Scenario, case: str, attempt: Refusal, fragment: str
) -> None:
    with pytest.raises(DecisionError, match=fragment), db.unit_of_work() as session:
        attempt(session, s)
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(BuildingBlock)) == 4
    assert _events(db, s.round_id) == []


# --------------------------------------------------------------------------------------------
# Move and unassign


def test_move_puts_a_contribution_into_another_block_as_staff(db: Database, s: Scenario) -> None:
    with db.unit_of_work() as session:
        decisions.move(session, s.c[1], s.b, ACTOR)
    with db.unit_of_work() as session:
        assert _placements(session, s.round_id)[s.c[1]] == (s.b, "staff")
        source = session.get_one(BuildingBlock, s.a)
        target = session.get_one(BuildingBlock, s.b)
        assert [c.id for c in source.contributions] == [s.c[2], s.c[3]]
        assert source.quote_ids == [s.c[2]]
        assert not target.edited_by_staff and not source.edited_by_staff
    [event] = _events(db, s.round_id)
    assert (event.block_id, event.action, event.actor) == (s.b, "move", ACTOR)
    assert event.details == {"contribution_id": s.c[1], "from_block_id": s.a, "to_block_id": s.b}
    # Both blocks list the move in their history.
    assert [e.id for e in _events(db, s.round_id, s.a)] == [event.id]
    assert [e.id for e in _events(db, s.round_id, s.b)] == [event.id]


def test_move_places_an_unplaced_contribution(db: Database, s: Scenario) -> None:
    with db.unit_of_work() as session:
        decisions.move(session, s.c[6], s.b, ACTOR)
        # The session's loaded collections follow the change at once.
        block = session.get_one(BuildingBlock, s.b)
        assert [c.id for c in block.contributions] == [s.c[4], s.c[5], s.c[6]]
    with db.unit_of_work() as session:
        assert _placements(session, s.round_id)[s.c[6]] == (s.b, "staff")
    [event] = _events(db, s.round_id)
    assert event.details == {"contribution_id": s.c[6], "from_block_id": None, "to_block_id": s.b}


MOVE_REFUSALS: list[tuple[str, Refusal, str]] = [
    (
        "unknown contribution",
        lambda ses, s: decisions.move(ses, MISSING, s.b, ACTOR),
        f"onbekende bijdrage {MISSING}",
    ),
    (
        "unknown block",
        lambda ses, s: decisions.move(ses, s.c[1], MISSING, ACTOR),
        f"onbekende bouwsteen {MISSING}",
    ),
    (
        "other theme",
        lambda ses, s: decisions.move(ses, s.c[1], s.c_block, ACTOR),
        "thema 'behoud_betrokkenheid'",
    ),
    (
        "other round",
        lambda ses, s: decisions.move(ses, s.c[9], s.a, ACTOR),
        "andere ronde",
    ),
    (
        "same block",
        lambda ses, s: decisions.move(ses, s.c[1], s.a, ACTOR),
        "zit al in bouwsteen",
    ),
]


@pytest.mark.parametrize(("case", "attempt", "fragment"), MOVE_REFUSALS, ids=lambda x: x)
def test_move_refusals(
    db: Database, s: Scenario, case: str, attempt: Refusal, fragment: str
) -> None:
    with pytest.raises(DecisionError, match=fragment), db.unit_of_work() as session:
        attempt(session, s)
    with db.unit_of_work() as session:
        assert _placements(session, s.round_id)[s.c[1]] == (s.a, "pipeline")
    assert _events(db, s.round_id) == []


def test_unassign_keeps_a_contribution_out_until_staff_place_it_again(
    db: Database, s: Scenario
) -> None:
    with db.unit_of_work() as session:
        decisions.move(session, s.c[2], None, ACTOR)
        assert decisions.staff_unassigned_ids(session, s.round_id) == {s.c[2]}
        assert [c.id for c in session.get_one(BuildingBlock, s.a).contributions] == [
            s.c[1],
            s.c[3],
        ]
    with db.unit_of_work() as session:
        assert s.c[2] not in _placements(session, s.round_id)
        assert session.get_one(BuildingBlock, s.a).quote_ids == [s.c[1]]
        # Asking again is refused: it is already out.
        with pytest.raises(DecisionError, match="al door de staf buiten"):
            decisions.move(session, s.c[2], None, ACTOR)
    [event] = _events(db, s.round_id)
    assert (event.block_id, event.action) == (s.a, "unassign")
    assert event.details == {"contribution_id": s.c[2], "from_block_id": s.a}

    with db.unit_of_work() as session:
        decisions.move(session, s.c[2], s.b, OTHER_ACTOR)
        assert decisions.staff_unassigned_ids(session, s.round_id) == set()
    with db.unit_of_work() as session:
        decisions.move(session, s.c[2], None, ACTOR)
        assert decisions.staff_unassigned_ids(session, s.round_id) == {s.c[2]}
    # Once it sits in a block again, however it got there, it is no longer held out.
    with db.unit_of_work() as session:
        session.execute(insert(block_contribution).values(block_id=s.a, contribution_id=s.c[2]))
        assert decisions.staff_unassigned_ids(session, s.round_id) == set()
        assert decisions.staff_unassigned_ids(session, s.other_round_id) == set()


def test_unassigning_an_unplaced_contribution_pins_it(db: Database, s: Scenario) -> None:
    with db.unit_of_work() as session:
        assert decisions.staff_unassigned_ids(session, s.round_id) == set()
        decisions.move(session, s.c[6], None, ACTOR)
    with db.unit_of_work() as session:
        assert decisions.staff_unassigned_ids(session, s.round_id) == {s.c[6]}
    [event] = _events(db, s.round_id)
    assert (event.block_id, event.action) == (None, "unassign")
    assert event.details == {"contribution_id": s.c[6], "from_block_id": None}


# --------------------------------------------------------------------------------------------
# Approve, reject, reopen


def test_status_changes_are_recorded_and_repeats_change_nothing(db: Database, s: Scenario) -> None:
    with db.unit_of_work() as session:
        assert decisions.approve(session, s.a, ACTOR)
        assert not decisions.approve(session, s.a, ACTOR)
        assert decisions.reject(session, s.a, OTHER_ACTOR)  # a change of mind
        assert not decisions.reject(session, s.a, OTHER_ACTOR)
        assert decisions.reopen(session, s.a, ACTOR)
        assert not decisions.reopen(session, s.a, ACTOR)
        assert decisions.reject(session, s.b, ACTOR)
        assert decisions.approve(session, s.b, ACTOR)
    block = _block(db, s.a)
    assert block is not None and block.status == BlockStatus.DRAFT
    block = _block(db, s.b)
    assert block is not None and block.status == BlockStatus.APPROVED
    events = _events(db, s.round_id)
    assert [
        (e.block_id, e.action, e.actor, e.details["from_status"], e.details["to_status"])
        for e in events
    ] == [
        (s.a, "approve", ACTOR, "draft", "approved"),
        (s.a, "reject", OTHER_ACTOR, "approved", "rejected"),
        (s.a, "reopen", ACTOR, "rejected", "draft"),
        (s.b, "reject", ACTOR, "draft", "rejected"),
        (s.b, "approve", ACTOR, "rejected", "approved"),
    ]


def test_an_empty_block_cannot_be_approved_but_can_be_rejected(db: Database, s: Scenario) -> None:
    with db.unit_of_work() as session:
        decisions.move(session, s.c[7], None, ACTOR)
        decisions.move(session, s.c[8], None, ACTOR)
    with pytest.raises(DecisionError, match="geen bijdragen"), db.unit_of_work() as session:
        decisions.approve(session, s.c_block, ACTOR)
    with db.unit_of_work() as session:
        assert decisions.reject(session, s.c_block, ACTOR)
    missing = f"onbekende bouwsteen {MISSING}"
    with pytest.raises(DecisionError, match=missing), db.unit_of_work() as session:
        decisions.approve(session, MISSING, ACTOR)


CLOSED_CHANGES: list[tuple[str, Refusal]] = [
    ("rename", lambda ses, s: decisions.rename(ses, s.a, "Nieuw", ACTOR)),
    ("summary", lambda ses, s: decisions.edit_summary(ses, s.a, "Nieuw", ACTOR)),
    ("merge into", lambda ses, s: decisions.merge(ses, s.a, [s.b], ACTOR)),
    ("merge away", lambda ses, s: decisions.merge(ses, s.b, [s.a], ACTOR)),
    ("split", lambda ses, s: decisions.split(ses, s.a, [s.c[1]], "Nieuw", ACTOR)),
    ("move out", lambda ses, s: decisions.move(ses, s.c[1], s.b, ACTOR)),
    ("move in", lambda ses, s: decisions.move(ses, s.c[4], s.a, ACTOR)),
    ("unassign", lambda ses, s: decisions.move(ses, s.c[1], None, ACTOR)),
]


@pytest.mark.parametrize("status", ["approve", "reject"])
@pytest.mark.parametrize(("case", "attempt"), CLOSED_CHANGES, ids=lambda x: x)
def test_approved_and_rejected_blocks_change_only_after_reopen(
    db: Database, s: Scenario, status: str, case: str, attempt: Refusal
) -> None:
    with db.unit_of_work() as session:
        getattr(decisions, status)(session, s.a, ACTOR)
    word = "goedgekeurd" if status == "approve" else "afgewezen"
    closed = f"bouwsteen {s.a} is {word}.*heropen"
    with pytest.raises(DecisionError, match=closed), db.unit_of_work() as session:
        attempt(session, s)
    with db.unit_of_work() as session:
        decisions.reopen(session, s.a, ACTOR)
    with db.unit_of_work() as session:
        attempt(session, s)
    assert [e.action for e in _events(db, s.round_id)][:2] == [status, "reopen"]


# --------------------------------------------------------------------------------------------
# Invariants and history


def test_a_contribution_rests_in_at_most_one_block_after_many_decisions(
    db: Database, s: Scenario
) -> None:
    with db.unit_of_work() as session:
        new_id = decisions.split(session, s.a, [s.c[3]], "Vertrouwelijk", ACTOR)
        decisions.move(session, s.c[6], new_id, ACTOR)
        decisions.merge(session, s.b, [new_id], ACTOR)
        decisions.move(session, s.c[3], s.a, ACTOR)
        decisions.move(session, s.c[4], None, ACTOR)
        second = decisions.split(session, s.b, [s.c[5]], "Domotica", ACTOR)
        decisions.move(session, s.c[4], second, ACTOR)
        decisions.merge(session, s.a, [second], ACTOR)

    with db.unit_of_work() as session:
        rows = session.execute(select(block_contribution.c.contribution_id)).scalars().all()
        assert len(rows) == len(set(rows))
        placements = _placements(session, s.round_id)
        # Nothing was lost on the way: every contribution of the round is placed once.
        assert set(placements) == {s.c[n] for n in range(1, 9)}
        # Whatever staff touched is theirs; what they never touched is still the pipeline's.
        assert {n: placements[s.c[n]] for n in range(1, 7)} == {
            1: (s.a, "pipeline"),
            2: (s.a, "pipeline"),
            3: (s.a, "staff"),
            4: (s.a, "staff"),
            5: (s.a, "staff"),
            6: (s.b, "staff"),
        }
        assert session.get(BuildingBlock, new_id) is None
        assert session.get(BuildingBlock, second) is None
        # And the database itself refuses a second block for a contribution.
        with pytest.raises(IntegrityError), session.begin_nested():
            session.execute(insert(block_contribution).values(block_id=s.b, contribution_id=s.c[1]))


def test_history_is_oldest_first_and_survives_a_merge(db: Database, s: Scenario) -> None:
    with db.unit_of_work() as session:
        decisions.rename(session, s.b, "Zorg op afstand en domotica", OTHER_ACTOR)
    with db.unit_of_work() as session:
        decisions.rename(session, s.c_block, "Roosteren", ACTOR)
    with db.unit_of_work() as session:
        decisions.merge(session, s.a, [s.b], ACTOR)
    with db.unit_of_work() as session:
        decisions.approve(session, s.a, ACTOR)

    everything = _events(db, s.round_id)
    assert [(e.block_id, e.action) for e in everything] == [
        (s.b, "rename"),
        (s.c_block, "rename"),
        (s.a, "merge"),
        (s.a, "approve"),
    ]
    assert [e.at for e in everything] == sorted(e.at for e in everything)
    assert [e.id for e in everything] == sorted(e.id for e in everything)
    # The merged-away block's own events are part of the target's story, and still of its own.
    assert [(e.block_id, e.action) for e in _events(db, s.round_id, s.a)] == [
        (s.b, "rename"),
        (s.a, "merge"),
        (s.a, "approve"),
    ]
    assert [(e.block_id, e.action) for e in _events(db, s.round_id, s.b)] == [
        (s.b, "rename"),
        (s.a, "merge"),
    ]
    assert [e.action for e in _events(db, s.round_id, s.c_block)] == ["rename"]
    assert _events(db, s.other_round_id) == []


def test_history_follows_a_chain_of_merges(db: Database, s: Scenario) -> None:
    with db.unit_of_work() as session:
        new_id = decisions.split(session, s.a, [s.c[3]], "Begroting", ACTOR)
        decisions.rename(session, new_id, "Begroting opleidingen", ACTOR)
        decisions.merge(session, s.b, [new_id], ACTOR)
        decisions.merge(session, s.a, [s.b], ACTOR)
    actions = [(e.block_id, e.action) for e in _events(db, s.round_id, s.a)]
    assert actions == [
        (s.a, "split"),
        (new_id, "rename"),
        (s.b, "merge"),
        (s.a, "merge"),
    ]


def test_history_of_a_block_leaves_out_the_block_merged_away_before_it(
    db: Database, s: Scenario
) -> None:
    # SQLite used to give the highest id back once its row was deleted, so a block made after
    # the merge carried the id of the block merged away; ids are never reused now.
    with db.unit_of_work() as session:
        newest = decisions.split(session, s.a, [s.c[3]], "Begroting", ACTOR)
        decisions.rename(session, newest, "Begroting opleidingen", ACTOR)
        decisions.merge(session, s.a, [newest], ACTOR)
    with db.unit_of_work() as session:
        again = decisions.split(session, s.a, [s.c[2]], "Stages", OTHER_ACTOR)
    assert again > newest
    events = _events(db, s.round_id, again)
    assert [(e.action, e.actor, e.details.get("new_block_id")) for e in events] == [
        ("split", OTHER_ACTOR, again)
    ]


def test_describe_says_what_each_event_did(db: Database, s: Scenario) -> None:
    with db.unit_of_work() as session:
        decisions.rename(session, s.a, "Begeleiding", ACTOR)
        decisions.edit_summary(session, s.a, "Kort.", ACTOR)
        new_id = decisions.split(session, s.a, [s.c[2], s.c[3]], "Stages", ACTOR)
        decisions.move(session, s.c[6], new_id, ACTOR)
        decisions.move(session, s.c[6], None, ACTOR)
        decisions.merge(session, s.a, [new_id], ACTOR)
        decisions.approve(session, s.a, ACTOR)
    lines = [decisions.describe(e) for e in _events(db, s.round_id)]
    assert lines == [
        "titel 'Instroom en begeleiding' → 'Begeleiding'",
        "samenvatting gewijzigd: 'Kort.'",
        f"bijdragen {s.c[2]}, {s.c[3]} afgesplitst naar nieuwe bouwsteen {new_id} ('Stages')",
        f"bijdrage {s.c[6]} van niet-toegewezen naar bouwsteen {new_id}",
        f"bijdrage {s.c[6]} uit bouwsteen {new_id} gehaald en blijft buiten de bouwstenen",
        f"bouwsteen {new_id} ('Stages') samengevoegd; bijdragen {s.c[2]}, {s.c[3]} overgenomen",
        "status concept → goedgekeurd",
    ]
