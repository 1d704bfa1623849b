"""The command line speaks Dutch, or English with CONSULT_DEFAULT_LANGUAGE=en: its help, its
confirmations and its errors.

Each case runs the real `consult` command in its own process, as the secretariat would: the
language is read once, when the command starts.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from models.migrate import upgrade
from tests.conftest import write_config
from tests.integration.cli.inputs import REGISTRY, round_spec


def consult(
    config: Path | None, language: str | None, *args: str, columns: int = 250
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONSULT_", "PREFECT_"))}
    # By default wide enough that no sentence is broken over two lines.
    env["COLUMNS"] = str(columns)
    if config is not None:
        env["CONSULT_CONFIG"] = str(config)
    if language is not None:
        env["CONSULT_DEFAULT_LANGUAGE"] = language
    return subprocess.run(
        [sys.executable, "-m", "consult", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def _said(result: subprocess.CompletedProcess[str]) -> str:
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    return " ".join(output.split())


def _no_dutch(text: str) -> None:
    for word in ("Fout", "onbekende", "ronde ", "rondes", "het ", "een ", "bouwstenen", "moet"):
        assert word not in text, (word, text)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    database_url = f"sqlite:///{tmp_path / 'consult.db'}"
    upgrade(database_url)
    return write_config(tmp_path, database_url)


def test_help_lists_the_commands_in_dutch_by_default() -> None:
    result = consult(None, None, "--help")
    assert result.returncode == 0, result.stderr
    text = _said(result)
    assert "thematische consultatierondes van de Commissie Werken in de Zorg" in text
    assert "Het bouwstenenrapport schrijven" in text
    assert "Het register van organisaties en personen." in text
    assert "Bouwstenen beoordelen." in text  # a group whose module is loaded only when it runs
    assert "Bij een fout: logregels en de volledige traceback." in text

    launch = _said(consult(None, None, "round", "launch", "--help"))
    assert "Een ronde aanmaken" in launch and "Rondespecificatie (TOML)" in launch
    assert "SPECIFICATIE" in launch


def test_help_is_english_with_consult_default_language_en() -> None:
    result = consult(None, "en", "--help")
    assert result.returncode == 0, result.stderr
    text = _said(result)
    assert "themed consultation rounds of the Commissie Werken in de Zorg" in text
    assert "Write the building-block report" in text
    assert "The registry of organisations and people." in text
    assert "Review building blocks." in text
    assert "On an error: log lines and the full traceback." in text
    _no_dutch(text.replace("Commissie Werken in de Zorg", ""))

    launch = _said(consult(None, "en", "round", "launch", "--help"))
    assert "Create a round" in launch and "Round spec (TOML)" in launch
    _no_dutch(launch)


def test_an_unknown_round_is_an_error_in_either_language(config: Path) -> None:
    dutch = consult(config, None, "round", "status", "najaar-2031")
    assert dutch.returncode == 1
    assert "Fout: onbekende ronde 'najaar-2031'" in _said(dutch)

    english = consult(config, "en", "round", "status", "najaar-2031")
    assert english.returncode == 1
    text = _said(english)
    assert "Error: unknown round 'najaar-2031'" in text
    _no_dutch(text)


def test_a_bad_round_spec_is_refused_in_either_language(config: Path, tmp_path: Path) -> None:
    spec = tmp_path / "round.toml"
    spec.write_text(round_spec(slot_end="2030-03-14T09:00:00"), encoding="utf-8")

    dutch = consult(config, None, "round", "launch", str(spec))
    assert dutch.returncode == 2
    assert "het einde moet na het begin liggen" in _said(dutch)

    english = consult(config, "en", "round", "launch", str(spec))
    assert english.returncode == 2
    text = _said(english)
    assert "Error:" in text and "the end must be after the start" in text
    _no_dutch(text)


def test_a_launched_round_is_counted_in_words_that_fit_the_number(
    config: Path, tmp_path: Path
) -> None:
    registry = tmp_path / "registry.csv"
    registry.write_text(REGISTRY, encoding="utf-8")
    imported = consult(config, "en", "registry", "import", str(registry))
    assert imported.returncode == 0, imported.stderr
    assert "3 valid rows: 3 new, 0 updated, 0 unchanged." in _said(imported)
    spec = tmp_path / "round.toml"
    spec.write_text(round_spec(), encoding="utf-8")

    english = consult(config, "en", "round", "launch", str(spec))
    assert english.returncode == 0, english.stderr
    assert "Round launched (id 1): 3 invitations, 1 new slot." in _said(english)

    spec.write_text(round_spec(slug="najaar-2030"), encoding="utf-8")
    dutch = consult(config, None, "round", "launch", str(spec))
    assert dutch.returncode == 0, dutch.stderr
    assert "Ronde gestart (id 2): 3 uitnodigingen, 1 nieuw tijdslot." in _said(dutch)

    status = consult(config, "en", "round", "status", "voorjaar-2030", columns=80)
    assert status.returncode == 0, status.stderr
    text = _said(status)
    assert "What the service does" in text and "send invitations" in text
    _no_dutch(text.replace("Voorjaarsronde", ""))
    # Long headings are hyphenated in English too, so the table fits in 80 columns.
    assert "building" in status.stdout and "invited" in status.stdout
    assert max(len(line) for line in status.stdout.splitlines()) <= 80, status.stdout
