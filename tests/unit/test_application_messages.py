"""What the application tells the secretariat comes from the catalogs: Dutch by default, English
where the reader's language is English (the command line's process language, a web request)."""

from __future__ import annotations

from pathlib import Path

import pytest

from consult.app.lifecycle import status_label
from consult.i18n import use_language
from consult.registry.parsing import RowError, format_error
from consult.service.deadlines import Action, ActionKind
from consult.spec import RoundSpecError, load_round_spec
from models import RoundStatus

# The end of the innovation slot lies before its start.
SPEC = """\
slug = "voorjaar-2027"
name = "Consultatieronde voorjaar 2027"
answer_deadline = 2027-02-12T17:00:00
input_deadline = 2027-04-30T17:00:00

[[themes]]
slug = "innovatie"
[[themes.slots]]
start = 2027-03-02T10:00:00
end = 2027-03-02T09:00:00
"""


def _spec_error(tmp_path: Path) -> str:
    path = tmp_path / "ronde.toml"
    path.write_text(SPEC, encoding="utf-8")
    with pytest.raises(RoundSpecError) as info:
        load_round_spec(path)
    return str(info.value).removeprefix(f"{path}: ")


def test_a_spec_error_reads_dutch_by_default_and_english_in_english(tmp_path: Path) -> None:
    assert (
        _spec_error(tmp_path) == "thema innovatie, tijdslot 1: het einde moet na het begin liggen"
    )
    with use_language("en"):
        assert _spec_error(tmp_path) == "theme innovatie, slot 1: the end must be after the start"


def test_a_registry_row_problem_reads_in_the_current_language() -> None:
    error = RowError(4, "role", "too_long", "x" * 201, "201")

    assert format_error(error) == "rij 4, kolom functie: te lang (201 tekens, maximaal 200)"
    with use_language("en"):
        assert format_error(error) == ("row 4, column role: too long (201 characters, maximum 200)")


def test_status_and_counted_phrases_follow_the_language() -> None:
    one = Action(ActionKind.REQUEST_LESSONS, round_id=1, session_ids=(7,))
    two = Action(ActionKind.REQUEST_LESSONS, round_id=1, session_ids=(7, 8))

    assert status_label(RoundStatus.SYNTHESISED) == "bouwstenen gemaakt"
    assert one.describe() == "deelnemers om geleerde lessen vragen (1 sessie)"
    assert two.describe() == "deelnemers om geleerde lessen vragen (2 sessies)"
    with use_language("en"):
        assert status_label(RoundStatus.SYNTHESISED) == "building blocks made"
        assert one.describe() == "ask attendees for lessons learned (1 session)"
        assert two.describe() == "ask attendees for lessons learned (2 sessions)"
