"""The mail sent after a page answer: one sender per process, and an answer that comes in while
it is sending is not left behind."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import cast

from consult.web.context import WebContext
from consult.wiring import App
from models.base import utcnow


def test_a_request_while_sending_makes_the_running_sender_go_round_again() -> None:
    # Only the database's read engine is touched when the context is built.
    app = cast(App, SimpleNamespace(db=SimpleNamespace(read_engine=None)))
    ctx = WebContext(app=app, secret=b"s", clock=utcnow, emitter=lambda signal: None)
    rounds: list[str] = []

    def send_due() -> None:
        rounds.append(threading.current_thread().name)
        if len(rounds) == 1:
            # A second answer's after-response work, while this round is still sending.
            other = threading.Thread(target=ctx._send_mail, name="second")
            other.start()
            other.join(5)
            assert not other.is_alive(), "the second request waited for the running sender"

    ctx._send_due = send_due  # type: ignore[method-assign]
    ctx._send_mail()

    # The second request sent nothing itself; the first sender went round once more for it.
    assert rounds == [threading.current_thread().name] * 2
    # And with nothing asked since, the next request sends at once.
    ctx._send_mail()
    assert len(rounds) == 3
