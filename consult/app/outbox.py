"""Send the mail that is due."""

from __future__ import annotations

from consult.i18n import ngettext
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
    """What to tell a person when the relay was away, in the current language; None when it
    was reached."""
    if counts.unreachable is None:
        return None
    smtp = ctx.settings.smtp
    return ngettext(
        "the mail server %(host)s:%(port)s is not reachable (%(reason)s); %(num)s message stays "
        "queued and goes with the next sending (consult outbox send, or by itself through "
        "consult serve)",
        "the mail server %(host)s:%(port)s is not reachable (%(reason)s); %(num)s messages stay "
        "queued and go with the next sending (consult outbox send, or by itself through "
        "consult serve)",
        counts.retry_later,
        host=smtp.host,
        port=smtp.port,
        reason=counts.unreachable,
    )
