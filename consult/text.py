"""Text that comes from outside (web forms, registry and input files, mail) made safe to store
and to show, by one rule used at every edge.

- C0 control characters other than tab and line feed, and DEL, are dropped: PostgreSQL refuses
  NUL in a text column (the request failed), SQLite stores it and it reached the reports; the
  others are invisible and break CSV, XML (Word) and terminals.
- Line breaks become LF: browsers send CRLF but count it as one character against maxlength.
- Bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) are dropped:
  an RLO (U+202E) makes "gpj.exe" read as "exe.jpg" and can turn a quote around in a report.
- NFC, so "é" typed as e + combining accent equals "é" when compared, counted or stemmed.
"""

from __future__ import annotations

import csv
import re
import unicodedata

__all__ = ["allow_csv_fields", "clean_text", "escape_markdown"]

_DROPPED = dict.fromkeys(
    [
        *(c for c in range(0x20) if c not in (0x09, 0x0A)),
        0x7F,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    ],
    None,
)


def clean_text(raw: str) -> str:
    """The text as consult keeps it; idempotent, and it never strips surrounding whitespace
    (callers decide that)."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text.translate(_DROPPED))


# Characters that make Markdown (or the HTML it may carry) out of text: emphasis, code, links,
# images, tables, raw HTML and entities.
_INLINE = re.compile(r"([\\`*_\[\]<>|~!])|&(?=#?\w+;)")
# Indentation makes a code block; it carries no meaning in what people write.
_INDENT = re.compile(r"^[ \t]+", re.MULTILINE)
# What makes a heading, quote, list or rule when it starts a line ("1." a numbered item).
_LINE_START = re.compile(r"^(?:([#>+=-])|(\d+)([.)]))", re.MULTILINE)


def escape_markdown(text: str) -> str:
    """Text shown as text in a Markdown file, whatever it holds: `<script>`, `**`, `[x](y)`."""
    escaped = _INLINE.sub(lambda m: "\\" + (m.group(1) or "&"), clean_text(text))
    return _LINE_START.sub(_escape_line_start, _INDENT.sub("", escaped))


def _escape_line_start(match: re.Match[str]) -> str:
    marker, number, stop = match.groups()
    return f"\\{marker}" if marker else f"{number}\\{stop}"


def allow_csv_fields(size: int) -> None:
    """Let the csv module read cells of up to `size` characters.

    It refuses a cell over 128 KiB, and with it the whole file. A file we read is no bigger
    than what we already hold, so the limit protects nothing; an oversized cell is rejected
    with its row and column like any other value that is too long. (The limit is global to
    the process; it is only ever raised.)"""
    if size >= csv.field_size_limit():
        csv.field_size_limit(size + 1)
