"""Whether a round's mailings wait for approval: on unless the configuration ([mail]
require_approval, or CONSULT_MAIL__REQUIRE_APPROVAL) or the round's spec says otherwise; the
spec wins. The example configuration says what the default is."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from consult.app.mailings import MAILING_KINDS, is_held, requires_approval
from consult.settings import PROJECT_ROOT, load_settings
from consult.spec import RoundSpec, stored_spec
from models import OutboxKind

EXAMPLE = PROJECT_ROOT / "config" / "consult.example.toml"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("CONSULT_"):
            monkeypatch.delenv(key)


def test_review_is_on_by_default_and_the_file_and_environment_switch_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_settings().mail.require_approval is True
    config = tmp_path / "consult.toml"
    config.write_text("[mail]\nrequire_approval = false\n", encoding="utf-8")
    monkeypatch.setenv("CONSULT_CONFIG", str(config))
    assert load_settings().mail.require_approval is False
    monkeypatch.setenv("CONSULT_MAIL__REQUIRE_APPROVAL", "true")
    assert load_settings().mail.require_approval is True
    assert tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))["mail"] == {"require_approval": True}


def test_the_round_spec_decides_and_otherwise_the_configuration() -> None:
    data = {
        "slug": "voorjaar-2030",
        "name": "Voorjaar",
        "answer_deadline": "2030-03-01T17:00:00",
        "input_deadline": "2030-04-30T23:00:00",
        "themes": [
            {
                "slug": "innovatie",
                "slots": [{"start": "2030-03-11T10:00:00", "end": "2030-03-11T11:30:00"}],
            }
        ],
    }
    unsaid = stored_spec(data).require_approval
    assert unsaid is None
    assert requires_approval(unsaid, configured=True) and not requires_approval(unsaid, False)
    off = RoundSpec.model_validate({**data, "require_approval": False}).require_approval
    assert off is False and not requires_approval(off, configured=True)
    assert requires_approval(True, configured=False)


@pytest.mark.parametrize("kind", list(OutboxKind))
def test_only_the_four_mailings_are_ever_held(kind: OutboxKind) -> None:
    assert is_held(kind, round_requires=True, approved=False) == (kind in MAILING_KINDS)
    assert not is_held(kind, round_requires=True, approved=True)
    assert not is_held(kind, round_requires=False, approved=False)
