"""A seeded, fault-injecting SMTP server (aiosmtpd in a background thread) for outbox tests.

Per delivery attempt the server draws one fate from a ``random.Random`` derived from the seed,
the recipient address and how often that address has been tried, so the same seed gives every
address the same sequence of faults however the client's connections happen to interleave:

- ``rcpt_421`` / ``rcpt_451``: a transient refusal of RCPT (421 also closes the connection);
- ``data_421`` / ``data_451``: a transient refusal at the end of DATA (421 also closes);
- ``drop_in_data``: the whole message has been read, but the connection is closed before the
  end of DATA is answered, so the client cannot know the outcome;
- ``slow``: RCPT and DATA are each answered 0 to ``slow_max_s`` seconds late;
- addresses in ``refuse`` always get ``550 5.1.1 mailbox unavailable`` at RCPT.

A message counts as *accepted* only once its ``250`` reply to the end of DATA has been written to
an open connection; everything else (refused, dropped, or a connection that went away before the
reply could be written) is not accepted. ``accepted`` keeps each acceptance with the message's
Message-ID, its recipient and the client's address, so duplicates can be counted by Message-ID.
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email.policy import compat32
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from consult.mail.sink import free_port

__all__ = ["REFUSAL", "Accepted", "FaultPlan", "FaultyServer"]

REFUSAL = "550 5.1.1 mailbox unavailable"
REPLY_421 = "421 4.3.2 service shutting down, closing transmission channel"
REPLY_451 = "451 4.3.0 temporary local problem, try again later"

FAULT_KINDS = ("rcpt_421", "rcpt_451", "data_421", "data_451", "drop_in_data", "slow")


@dataclass(frozen=True)
class FaultPlan:
    """Probabilities per delivery attempt (the first three are exclusive of each other)."""

    seed: int = 0
    rcpt_transient: float = 0.0
    data_transient: float = 0.0
    drop_in_data: float = 0.0
    slow: float = 0.0
    slow_max_s: float = 0.05
    # Added before every reply the server writes: a uniformly slow relay.
    reply_delay_s: float = 0.0
    refuse: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.rcpt_transient + self.data_transient + self.drop_in_data > 1.0:
            raise ValueError("the exclusive fault probabilities add up to more than 1")


@dataclass(frozen=True)
class Accepted:
    message_id: str
    recipient: str
    peer: tuple[str, int]


@dataclass(frozen=True)
class _Fate:
    fault: str | None  # one of FAULT_KINDS minus "slow", or None for a clean delivery
    slow_s: float


class FaultyServer:
    """Context manager: ``with FaultyServer(plan) as server: ... server.port ...``."""

    def __init__(self, plan: FaultPlan, host: str = "127.0.0.1") -> None:
        self.plan = plan
        self.host = host
        self.port = free_port(host)
        self._lock = threading.Lock()
        self._accepted: list[Accepted] = []
        self._faults: Counter[str] = Counter()
        self._tries: Counter[str] = Counter()
        self._controller: Controller | None = None

    # --- what the tests read (from the test thread) ---

    @property
    def accepted(self) -> list[Accepted]:
        with self._lock:
            return list(self._accepted)

    def accepted_ids(self) -> Counter[str]:
        """How often each Message-ID was accepted."""
        return Counter(a.message_id for a in self.accepted)

    @property
    def faults(self) -> Counter[str]:
        """How often each fault was injected (``refused_550`` counts the permanent refusals)."""
        with self._lock:
            return Counter(self._faults)

    @property
    def tries(self) -> Counter[str]:
        """RCPT commands seen per recipient address."""
        with self._lock:
            return Counter(self._tries)

    # --- life cycle ---

    def start(self) -> None:
        controller = _Controller(self, hostname=self.host, port=self.port, ready_timeout=10)
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def __enter__(self) -> FaultyServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # --- called on the server's event loop ---

    def _fate(self, address: str) -> _Fate:
        with self._lock:
            self._tries[address] += 1
            attempt = self._tries[address]
        # A string seed is hashed with SHA-512: stable across runs and PYTHONHASHSEED.
        rng = random.Random(f"{self.plan.seed}|{address}|{attempt}")
        plan = self.plan
        roll = rng.random()
        fault: str | None = None
        if roll < plan.rcpt_transient:
            fault = rng.choice(("rcpt_421", "rcpt_451"))
        elif roll < plan.rcpt_transient + plan.data_transient:
            fault = rng.choice(("data_421", "data_451"))
        elif roll < plan.rcpt_transient + plan.data_transient + plan.drop_in_data:
            fault = "drop_in_data"
        slow_s = rng.uniform(0.0, plan.slow_max_s) if rng.random() < plan.slow else 0.0
        return _Fate(fault, slow_s)

    def _count(self, fault: str) -> None:
        with self._lock:
            self._faults[fault] += 1

    def _record(self, accepted: Accepted) -> None:
        with self._lock:
            self._accepted.append(accepted)


class _FaultySMTP(SMTP):
    """One connection. Remembers the current attempt's fate, and writes the replies itself so
    that an acceptance is recorded only when its 250 has really gone out."""

    def __init__(self, server: FaultyServer, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.faulty = server
        self.fate: _Fate | None = None
        self.accepting: Accepted | None = None
        self.close_after_reply = False

    async def push(self, status: Any) -> None:
        if self.faulty.plan.reply_delay_s:
            await asyncio.sleep(self.faulty.plan.reply_delay_s)
        accepting, self.accepting = self.accepting, None
        transport = self.transport
        if transport is None or transport.is_closing():
            # The connection is gone (dropped on purpose, or the client went away): no reply
            # leaves, so nothing is accepted.
            return
        text = status if isinstance(status, str) else bytes(status).decode("ascii")
        if accepting is not None and text.startswith("250"):
            self._writer.write(text.encode("ascii") + b"\r\n")
            self.faulty._record(accepting)
            await self._writer.drain()
        else:
            await super().push(status)
        if self.close_after_reply:
            self.close_after_reply = False
            transport.close()


class _Handler:
    def __init__(self, server: FaultyServer) -> None:
        self._server = server

    async def handle_RCPT(
        self,
        smtp: _FaultySMTP,
        session: Any,
        envelope: Any,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address in self._server.plan.refuse:
            self._server._count("refused_550")
            return REFUSAL
        fate = self._server._fate(address)
        smtp.fate = fate
        if fate.slow_s:
            self._server._count("slow")
            await asyncio.sleep(fate.slow_s)
        if fate.fault == "rcpt_421":
            self._server._count("rcpt_421")
            smtp.close_after_reply = True
            return REPLY_421
        if fate.fault == "rcpt_451":
            self._server._count("rcpt_451")
            return REPLY_451
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, smtp: _FaultySMTP, session: Any, envelope: Any) -> str:
        fate, smtp.fate = smtp.fate, None
        if fate is None:  # cannot happen: DATA needs an accepted RCPT, which sets a fate
            return "451 4.3.0 no fate drawn"
        if fate.slow_s:
            await asyncio.sleep(fate.slow_s)
        if fate.fault == "drop_in_data":
            self._server._count("drop_in_data")
            # Abruptly, without answering the end of DATA (push writes nothing from now on).
            smtp.transport.abort()
            return REPLY_451
        if fate.fault == "data_421":
            self._server._count("data_421")
            smtp.close_after_reply = True
            return REPLY_421
        if fate.fault == "data_451":
            self._server._count("data_451")
            return REPLY_451
        raw: bytes = envelope.original_content
        headers = BytesHeaderParser(policy=compat32).parsebytes(raw)
        (recipient,) = envelope.rcpt_tos
        smtp.accepting = Accepted(
            message_id=str(headers.get("Message-ID", "")).strip(),
            recipient=recipient,
            peer=tuple(session.peer[:2]),
        )
        return "250 2.0.0 OK queued"


class _Controller(Controller):
    def __init__(self, server: FaultyServer, **kwargs: Any) -> None:
        super().__init__(_Handler(server), **kwargs)
        self._faulty = server

    def factory(self) -> SMTP:
        return _FaultySMTP(self._faulty, self.handler, **self.SMTP_kwargs)
