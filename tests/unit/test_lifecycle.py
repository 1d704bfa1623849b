"""A round's status moves forward only, in one place (consult.app.lifecycle)."""

from __future__ import annotations

import pytest

from consult.app.lifecycle import ORDER, IllegalTransition, advance, allowed, close
from models import Round, RoundStatus


def _round(status: RoundStatus) -> Round:
    return Round(slug="najaar", name="Najaar", status=status)


def test_a_round_moves_forward_and_a_repeated_step_changes_nothing() -> None:
    rnd = _round(RoundStatus.INVITING)
    assert advance(rnd, RoundStatus.SCHEDULED)
    assert rnd.status == RoundStatus.SCHEDULED
    # A re-run of scheduling, or input stored after synthesis, never moves a round back.
    assert not advance(rnd, RoundStatus.SCHEDULED)
    assert advance(rnd, RoundStatus.SYNTHESISED)
    assert not advance(rnd, RoundStatus.COLLECTING)
    assert rnd.status == RoundStatus.SYNTHESISED


def test_steps_may_be_skipped_but_never_reversed() -> None:
    for i, current in enumerate(ORDER[:-1]):
        for j, target in enumerate(ORDER):
            assert allowed(current, target) == (j > i)


def test_a_closed_round_refuses_every_change_with_a_dutch_message() -> None:
    rnd = _round(RoundStatus.REPORTED)
    assert close(rnd)
    assert not close(rnd)
    with pytest.raises(IllegalTransition, match="gesloten"):
        advance(rnd, RoundStatus.REPORTED)
    assert rnd.status == RoundStatus.CLOSED


def test_no_code_outside_the_lifecycle_sets_a_round_status() -> None:
    """Round status changes live in one module: nothing else assigns `.status = RoundStatus.`"""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = [
        str(path.relative_to(root))
        for folder in ("consult",)
        for path in (root / folder).rglob("*.py")
        if path.name != "lifecycle.py"
        and ".status = RoundStatus." in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
