"""Send the mail that is due."""

from __future__ import annotations

from consult.mail.outbox import SendCounts, send_due
from consult.wiring import App


async def send(ctx: App) -> SendCounts:
    """Send every due message; safe to repeat (sent rows are never claimed again). When not
    one connection to the relay could be made (after the configured timeout), it stops at
    once and says so in `unreachable`: the mail stays queued for the next run."""
    settings = ctx.settings
    return await send_due(ctx.db, settings.smtp, settings.organiser, sealer=ctx.sealer)


def figures(counts: SendCounts, queued: int | None = None) -> dict[str, int]:
    """The counts as the flows and the demo report them."""
    sent = {"sent": counts.sent, "failed": counts.failed, "retry_later": counts.retry_later}
    return sent if queued is None else {"queued": queued, **sent}


def unreachable_message(ctx: App, counts: SendCounts) -> str | None:
    """What to tell a person when the relay was away, in Dutch; None when it was reached."""
    if counts.unreachable is None:
        return None
    smtp = ctx.settings.smtp
    return (
        f"de mailserver {smtp.host}:{smtp.port} is niet bereikbaar ({counts.unreachable}); "
        f"{counts.retry_later} berichten blijven klaarstaan en gaan mee bij de volgende "
        "verzending (consult outbox send, of vanzelf door consult serve)"
    )
