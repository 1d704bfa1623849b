"""Signals are best effort: one that cannot be emitted is logged and the rest still go out."""

from __future__ import annotations

import logging

import pytest

from consult.events import INVITATION_RESPONDED, Signal, emit_all


def test_a_failing_emit_is_logged_and_does_not_stop_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sent: list[str] = []

    def flaky(signal: Signal) -> None:
        if signal.resource_id.endswith(".1"):
            raise TimeoutError("no answer from Prefect")
        sent.append(signal.resource_id)

    signals = [Signal(INVITATION_RESPONDED, f"consult.invitation.{n}") for n in (1, 2)]
    with caplog.at_level(logging.ERROR, logger="consult.events"):
        assert emit_all(flaky, signals) == 1
    assert sent == ["consult.invitation.2"]
    assert "could not emit consult.invitation.responded for consult.invitation.1" in caplog.text
