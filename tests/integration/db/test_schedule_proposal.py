"""The optimiser's proposal for a round read from a real database, and `consult schedule
preview`, which shows it and writes nothing."""

from __future__ import annotations

from sqlalchemy import func, select
from typer.testing import CliRunner

from consult.cli import app as cli
from consult.scheduling.model import violations
from consult.scheduling.proposal import propose, round_problem
from consult.wiring import App
from models import Availability, CandidateSlot, ConsultationSession, Invitation, Round
from tests.integration.db.test_round_services import (
    BEFORE_DEADLINE,
    _answer,
    _invitations_by_theme,
    _launch,
)


def _accept_some(app: App) -> tuple[int, list[int], list[int]]:
    round_id = _launch(app)
    with app.db.unit_of_work() as session:
        by_theme = _invitations_by_theme(session, round_id)
        innovatie = [i.id for i in by_theme["innovatie"]]
        behoud = [i.id for i in by_theme["behoud_betrokkenheid"]]
    _answer(app, innovatie[:5] + behoud[:3])
    return round_id, innovatie, behoud


def test_the_problem_uses_availability_rows_and_defaults_to_all_slots(app: App) -> None:
    round_id, innovatie, _ = _accept_some(app)
    with app.db.unit_of_work() as session:
        first = session.get_one(Invitation, innovatie[0])
        slot = session.scalars(
            select(CandidateSlot)
            .where(CandidateSlot.round_id == round_id, CandidateSlot.theme_id.isnot(None))
            .order_by(CandidateSlot.start)
        ).first()
        assert slot is not None
        session.add(Availability(invitation_id=first.id, slot_id=slot.id))
        rnd = session.get_one(Round, round_id)
        other = session.get_one(Invitation, innovatie[1])
        rnd.spec = {**rnd.spec, "must_place": [other.person.email.upper(), "nobody@example.org"]}
        first_person, other_person, slot_id = first.person_id, other.person_id, slot.id
    with app.db.unit_of_work() as session:
        rp = round_problem(session, round_id, app.taxonomy, BEFORE_DEADLINE)
    people = {p.id: p for p in rp.problem.people}
    assert len(people) == 8
    assert people[first_person].available == {slot_id}
    # No availability rows: every slot of every theme they ranked.
    chosen = {
        s
        for t in rp.problem.themes
        if t.slug in people[other_person].preferences
        for s in t.slot_ids
    }
    assert people[other_person].available == chosen
    assert people[other_person].must_place and not people[first_person].must_place
    assert rp.unknown_must_place == ("nobody@example.org",)
    rules = rp.problem.theme("innovatie")
    assert (rules.group_min, rules.group_max, rules.min_sectors) == (2, 4, 2)


def test_preview_shows_the_proposal_and_writes_nothing(app: App) -> None:
    round_id, _, _ = _accept_some(app)
    with app.db.unit_of_work() as session:
        rp, solution = propose(session, round_id, app.taxonomy, BEFORE_DEADLINE)
    assert violations(rp.problem, solution) == []
    assert len(solution.unplaced) + sum(len(m) for m in solution.groups.values()) == 8

    result = CliRunner().invoke(
        cli, ["schedule", "preview", "voorjaar-2030"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "innovatie: sessies" in result.output
    assert "behoud_betrokkenheid: sessies" in result.output
    assert "niet opgeslagen" in result.output
    with app.db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(ConsultationSession)) == 0

    unknown = CliRunner().invoke(cli, ["schedule", "preview", "bestaat-niet"])
    assert unknown.exit_code == 1
