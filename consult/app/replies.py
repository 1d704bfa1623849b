"""Read calendar replies (iTIP REPLY) from the secretariat's mailbox and apply the valid ones."""

from __future__ import annotations

from datetime import datetime

from consult.app.signals import reply_signals
from consult.events import Emitter, emit_all
from consult.rounds.reply_poller import PollCounts, poll_once
from consult.settings import ImapSettings
from consult.wiring import App


def poll(ctx: App, imap: ImapSettings, now: datetime, emitter: Emitter | None) -> PollCounts:
    """One pass over the mailbox. Applied answers that change the seating (declines,
    delegations) are signalled after their commit, as the web app does, so a served round
    re-plans."""

    def signal(reply_ids: list[int]) -> None:
        if emitter is None:
            return
        with ctx.db.unit_of_work() as session:
            signals = reply_signals(session, reply_ids)
        emit_all(emitter, signals)

    return poll_once(ctx.db, imap, now, on_applied=signal)
