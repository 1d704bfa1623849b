"""`consult blocks ...` end to end: the commands read CONSULT_CONFIG, change the database and
say what they did; refused decisions end with a message and exit code 1, misuse with 2."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import typer
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from consult.cli_blocks import blocks_app
from consult.settings import Settings
from models import BlockEvent, BlockStatus, BuildingBlock
from models.db import Database
from tests.integration.db.builders import TEXTS, Scenario, seed_scenario

# The blocks app is registered in consult.cli by its owner; here it hangs under a local app the
# same way, so the commands are invoked as `consult blocks ...` would be.
cli = typer.Typer()
cli.add_typer(blocks_app, name="blocks")

ROUND = "voorjaar-2030"


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings.database_url)
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def s(db: Database) -> Scenario:
    return seed_scenario(db)


def _run(*args: str, actor: str | None = None) -> Result:
    # A wide terminal keeps table cells on one line; CONSULT_ACTOR is set or removed explicitly
    # so the developer's own environment never leaks into the test.
    env = {"COLUMNS": "250", "CONSULT_ACTOR": actor}
    return CliRunner().invoke(cli, ["blocks", *args], env=env)


def _status(db: Database, block_id: int) -> BlockStatus:
    with db.unit_of_work() as session:
        return session.get_one(BuildingBlock, block_id).status


def test_list_shows_the_blocks_of_a_round_with_filters(s: Scenario) -> None:
    result = _run("list", ROUND)
    assert result.exit_code == 0, result.output
    out = result.output
    for title in ("Instroom en begeleiding", "Zorg op afstand", "Roosters en loopbaan"):
        assert title in out
    assert "Robotica" not in out  # another round
    line_a = next(line for line in out.splitlines() if "Instroom en begeleiding" in line)
    assert str(s.a) in line_a and "innovatie" in line_a and "concept" in line_a
    assert " 3 " in line_a and "begeleider, stageplaatsen" in line_a

    only_behoud = _run("list", ROUND, "--theme", "behoud_betrokkenheid").output
    assert "Roosters en loopbaan" in only_behoud and "Zorg op afstand" not in only_behoud
    assert "Geen bouwstenen gevonden" in _run("list", ROUND, "--status", "approved").output

    unknown = _run("list", "bestaat-niet")
    assert unknown.exit_code == 1
    assert "onbekende ronde 'bestaat-niet'" in unknown.stderr
    unknown_theme = _run("list", ROUND, "--theme", "ruimtevaart")
    assert unknown_theme.exit_code == 1
    assert "onbekend thema 'ruimtevaart'" in unknown_theme.stderr


def test_show_hides_not_quotable_text_and_names_of_role_only_contributors(s: Scenario) -> None:
    result = _run("show", str(s.a))
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Instroom en begeleiding" in out and "Samenvatting van instroom" in out
    # attributable: text and name
    assert TEXTS[1] in out and "Anneke de Vries" in out
    # role_only: text and role, not the name
    assert TEXTS[2] in out and "HR-adviseur" in out and "Bram Jansen" not in out
    # not_quotable: neither text nor name
    assert "(niet citeerbaar)" in out
    assert TEXTS[3] not in out and "Vertrouwelijk" not in out and "Carla Smit" not in out
    assert "synthese" in out  # placed by the pipeline

    missing = _run("show", "999999")
    assert missing.exit_code == 1 and "onbekende bouwsteen 999999" in missing.stderr


def test_rename_then_history_shows_who_did_what(
    s: Scenario, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    renamed = _run("rename", str(s.a), "Begeleiding [zij-instromers]", "--by", "Fatima El Amrani")
    assert renamed.exit_code == 0, renamed.output
    assert "Begeleiding [zij-instromers]" in renamed.output  # rich markup is not eaten
    # Without --by: CONSULT_ACTOR, else the login name.
    assert _run("summary", str(s.a), "Vaste begeleiders.", actor="Joost Hendriks").exit_code == 0
    monkeypatch.setattr("getpass.getuser", lambda: "secretariaat")
    assert _run("approve", str(s.a)).exit_code == 0

    history = _run("history", ROUND)
    assert history.exit_code == 0, history.output
    lines = [line for line in history.output.splitlines() if "│" in line]
    assert "Fatima El Amrani" in lines[0] and "hernoemd" in lines[0]
    assert "'Instroom en begeleiding' → 'Begeleiding [zij-instromers]'" in lines[0]
    assert "Joost Hendriks" in lines[1] and "Vaste begeleiders." in lines[1]
    assert "secretariaat" in lines[2] and "concept → goedgekeurd" in lines[2]

    with db.unit_of_work() as session:
        actors = list(session.scalars(select(BlockEvent.actor).order_by(BlockEvent.id)))
    assert actors == ["Fatima El Amrani", "Joost Hendriks", "secretariaat"]
    only_b = _run("history", ROUND, "--block", str(s.b))
    assert "Nog geen wijzigingen" in only_b.output


def test_approve_several_blocks_at_once_and_again(s: Scenario, db: Database) -> None:
    result = _run("approve", str(s.a), str(s.b), "--by", "Fatima")
    assert result.exit_code == 0, result.output
    assert f"Bouwsteen {s.a} goedgekeurd." in result.output
    assert f"Bouwsteen {s.b} goedgekeurd." in result.output
    assert _status(db, s.a) == _status(db, s.b) == BlockStatus.APPROVED
    listed = _run("list", ROUND, "--status", "approved").output
    assert "Instroom en begeleiding" in listed and "Zorg op afstand" in listed
    assert "Roosters en loopbaan" not in listed

    again = _run("approve", str(s.a), "--by", "Fatima")
    assert again.exit_code == 0 and f"Bouwsteen {s.a} was al goedgekeurd." in again.output
    # Closed until reopened.
    refused = _run("rename", str(s.a), "Anders", "--by", "Fatima")
    assert refused.exit_code == 1 and "heropen" in refused.stderr
    assert _run("reopen", str(s.a), "--by", "Fatima").exit_code == 0
    assert _status(db, s.a) == BlockStatus.DRAFT


def test_a_bad_id_exits_1_with_a_message_and_changes_nothing(s: Scenario, db: Database) -> None:
    result = _run("approve", str(s.a), "999999", "--by", "Fatima")
    assert result.exit_code == 1
    assert "onbekende bouwsteen 999999 (niets gewijzigd)" in result.stderr
    assert _status(db, s.a) == BlockStatus.DRAFT

    for args in (
        ("rename", "999999", "Titel"),
        ("merge", str(s.a), str(s.c_block)),
        ("split", str(s.a), str(s.c[4]), "--title", "Nieuw"),
        ("move", str(s.c[1]), "--to", "999999"),
    ):
        refused = _run(*args, "--by", "Fatima")
        assert refused.exit_code == 1, (args, refused.output)
        assert refused.stderr.startswith("Fout:"), refused.stderr


def test_misuse_exits_2(s: Scenario) -> None:
    for args in (
        ("move", str(s.c[1])),
        ("move", str(s.c[1]), "--to", str(s.b), "--unassign"),
        ("rename", str(s.a), "   "),
        ("split", str(s.a), str(s.c[1]), "--title", ""),
        ("list", ROUND, "--status", "misschien"),
    ):
        result = _run(*args, "--by", "Fatima") if args[0] != "list" else _run(*args)
        assert result.exit_code == 2, (args, result.output)
    assert "titel mag niet leeg" in _run("rename", str(s.a), " ", "--by", "F").stderr
    assert "--to" in _run("move", str(s.c[1]), "--by", "F").stderr


def test_split_merge_and_move_from_the_command_line(s: Scenario, db: Database) -> None:
    split = _run("split", str(s.a), str(s.c[2]), str(s.c[3]), "--title", "Stages", "--by", "F")
    assert split.exit_code == 0, split.output
    with db.unit_of_work() as session:
        new_id = session.scalar(select(func.max(BuildingBlock.id)))
    assert f"afgesplitst naar nieuwe bouwsteen {new_id} ('Stages')" in split.output

    moved = _run("move", str(s.c[6]), "--to", str(new_id), "--by", "F")
    assert moved.exit_code == 0 and f"verplaatst naar bouwsteen {new_id}" in moved.output
    out = _run("move", str(s.c[5]), "--unassign", "--by", "F")
    assert out.exit_code == 0 and "niet opnieuw" in out.output
    merged = _run("merge", str(s.a), str(new_id), "--by", "F")
    assert merged.exit_code == 0 and f"opgegaan in bouwsteen {s.a}" in merged.output

    shown = _run("show", str(s.a)).output
    assert "staf" in shown and TEXTS[6] in shown
    history = _run("history", ROUND, "--block", str(s.a)).output
    for word in ("gesplitst", "verplaatst", "samengevoegd"):
        assert word in history
    assert "buiten gehouden" not in history  # that was block B's contribution


def test_describe_and_create_blocks_from_the_command_line(s: Scenario, db: Database) -> None:
    described = _run(
        "describe", str(s.b), "Zorg op afstand en domotica in de wijk.", actor="Fatima"
    )
    assert described.exit_code == 0, described.output
    assert "is beschreven" in described.output
    created = _run(
        "create",
        ROUND,
        "--theme",
        "innovatie",
        "--description",
        "Leren van elkaar tussen regio's.",
        "--title",
        "Regionaal leren",
        actor="Fatima",
    )
    assert created.exit_code == 0, created.output
    assert "Regionaal leren" in created.output
    with db.unit_of_work() as session:
        block = session.scalars(
            select(BuildingBlock).where(BuildingBlock.title == "Regionaal leren")
        ).one()
        assert block.description == "Leren van elkaar tussen regio's."
        assert not block.title_is_draft
        assert session.get_one(BuildingBlock, s.b).description.startswith("Zorg op afstand")
        actions = set(session.scalars(select(BlockEvent.action)))
        assert {"describe", "create"} <= actions
    history = _run("history", ROUND).output
    assert "beschreven" in history and "aangemaakt" in history

    both = _run("create", ROUND, "--theme", "innovatie", "--description", "x", "--from-questions")
    assert both.exit_code == 2
    no_theme = _run("create", ROUND, "--description", "Iets nieuws.", actor="Fatima")
    assert no_theme.exit_code == 2 and "--theme" in no_theme.stderr
    empty = _run("describe", str(s.b), "  ", actor="Fatima")
    assert empty.exit_code == 2 and "beschrijving mag niet leeg" in empty.stderr


def test_suggest_ranks_the_blocks_of_the_theme_with_scores(s: Scenario) -> None:
    result = _run("suggest", str(s.c[6]))
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "│" in line or "|" in line]
    shown = "\n".join(lines)
    # Both blocks of theme innovatie, none of the other theme.
    assert "Instroom en begeleiding" in shown and "Zorg op afstand" in shown
    assert "Roosters en loopbaan" not in shown
    unknown = _run("suggest", "999999")
    assert unknown.exit_code == 1 and "onbekende bijdrage" in unknown.stderr
