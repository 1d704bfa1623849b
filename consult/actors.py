"""Who is acting, for the audit log: set once by an entry point, read by the application layer.

The command line names the person at the keyboard (CONSULT_ACTOR or the login name), a
workplace request its signed-in account; the service's flows act as "system". An invitee acts
through their personal link or calendar, and is named by invitation (models.audit.invitee).
Light on purpose: `consult --help` imports it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

SYSTEM = "system"

_current: ContextVar[str] = ContextVar("consult_actor", default=SYSTEM)


def current_actor() -> str:
    return _current.get()


def set_actor(name: str) -> None:
    """For a process that acts for one person throughout (a command)."""
    _current.set(name.strip()[:200] or SYSTEM)


@contextmanager
def acting_as(name: str) -> Iterator[None]:
    token = _current.set(name.strip()[:200] or SYSTEM)
    try:
        yield
    finally:
        _current.reset(token)
