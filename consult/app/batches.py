"""Work in batches: a large round is tens of units of work, not thousands."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

# Sessions hold a handful of people; a few dozen sessions make one batch of hundreds of mails.
SESSIONS_PER_BATCH = 25


def chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
