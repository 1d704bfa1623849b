"""Send the mail that is due."""

from __future__ import annotations

from consult.mail.outbox import send_due
from consult.wiring import App


async def send(ctx: App) -> dict[str, int]:
    """Send every due message; safe to repeat (sent rows are never claimed again)."""
    settings = ctx.settings
    counts = await send_due(ctx.db, settings.smtp, settings.organiser)
    return {"sent": counts.sent, "failed": counts.failed, "retry_later": counts.retry_later}
