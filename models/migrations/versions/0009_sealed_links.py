"""personal links out of the outbox: sealed tokens, raw ones cut out of sent mail

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 17:00:00.000000
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Kept here rather than imported: a migration must keep doing what it did when it was written.
_TOKEN = re.compile(r"/i/[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])")
_FOLD = re.compile(r"\r\n[ \t]")
_LINE_END = re.compile(r"\r\n(?![ \t])")
_REDACTED = "/i/…"


def _fold(line: str) -> str:
    # RFC 5545 folding at 75 octets, as icalendar does it.
    parts: list[str] = []
    current, size = "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        if current and size + width >= 75:
            parts.append(current)
            current, size = "", 0
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


def _redact_ics(ics: bytes) -> bytes:
    lines = []
    for folded in _LINE_END.split(ics.decode("utf-8")):
        line = _FOLD.sub("", folded)
        redacted = _TOKEN.sub(_REDACTED, line)
        lines.append(folded if redacted == line else _fold(redacted))
    return "\r\n".join(lines).encode("utf-8")


def upgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed_links", sa.JSON(), nullable=True))

    # Mail already sent cannot be sent again, so the tokens in its stored copy serve nothing but
    # whoever gets hold of the database. Unsent mail keeps them: `consult db upgrade` seals them
    # with the configured key (the key is not known here), and the sender cuts them out once sent.
    outbox = sa.table(
        "outbox_message",
        sa.column("id", sa.Integer),
        sa.column("status", sa.String),
        sa.column("text_body", sa.Text),
        sa.column("html_body", sa.Text),
        sa.column("calendar_ics", sa.LargeBinary),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(outbox.c.id, outbox.c.text_body, outbox.c.html_body, outbox.c.calendar_ics).where(
            outbox.c.status == "sent"
        )
    ).all()
    for row_id, text, html, ics in rows:
        values: dict[str, object] = {}
        if _TOKEN.search(text):
            values["text_body"] = _TOKEN.sub(_REDACTED, text)
        if _TOKEN.search(html):
            values["html_body"] = _TOKEN.sub(_REDACTED, html)
        if ics is not None:
            redacted = _redact_ics(bytes(ics))
            if redacted != bytes(ics):
                values["calendar_ics"] = redacted
        if values:
            bind.execute(sa.update(outbox).where(outbox.c.id == row_id).values(**values))


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("sealed_links")
