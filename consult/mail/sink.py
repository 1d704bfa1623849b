"""A local SMTP server that stores every received message as an .eml file.

Meant for the demo and for tests: it accepts any sender and recipient and keeps the DATA
bytes exactly as received, so what lands on disk is what a real relay would have been given.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import socket
import threading
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller

__all__ = ["EmlSink", "free_port"]

_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9._@+-]+")
_NUMBERED = re.compile(r"(\d+)-")
_MAX_ID_CHARS = 120


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago (aiosmtpd's Controller needs a concrete port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


class EmlSink:
    """SMTP server on ``host`` writing ``<n>-<safe message id>.eml`` files into ``directory``."""

    def __init__(self, directory: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.directory = directory
        self.host = host
        self._requested_port = port
        self._port: int | None = None
        self._controller: Controller | None = None
        self._counter: itertools.count[int] = itertools.count(1)
        self._counter_lock = threading.Lock()

    @property
    def port(self) -> int:
        if self._port is not None:
            return self._port
        if self._requested_port:
            return self._requested_port
        raise RuntimeError("EmlSink picks its port in start(); start it first")

    def start(self) -> None:
        if self._controller is not None:
            raise RuntimeError("EmlSink is already running")
        self.directory.mkdir(parents=True, exist_ok=True)
        # Continue after files left by an earlier run so numbering stays sortable and nothing
        # is overwritten.
        self._counter = itertools.count(self._highest_number() + 1)
        port = self._requested_port or free_port(self.host)
        controller = Controller(_Handler(self), hostname=self.host, port=port)
        controller.start()
        self._controller = controller
        self._port = port

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        self._port = None
        if controller is not None:
            controller.stop()

    def __enter__(self) -> EmlSink:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def store(self, data: bytes) -> Path:
        """Write one message atomically: readers never see a half-written .eml."""
        with self._counter_lock:
            number = next(self._counter)
        target = self.directory / f"{number:06d}-{_safe_message_id(data)}.eml"
        temporary = self.directory / f".{target.name}.tmp"
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
        return target

    def _highest_number(self) -> int:
        numbers = (_NUMBERED.match(path.name) for path in self.directory.glob("*.eml"))
        return max((int(match.group(1)) for match in numbers if match), default=0)


class _Handler:
    def __init__(self, sink: EmlSink) -> None:
        self._sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data: bytes = envelope.original_content
        # File I/O off the server loop so a slow disk does not stall other sessions.
        await asyncio.get_running_loop().run_in_executor(None, self._sink.store, data)
        return "250 Message accepted for delivery"


def _safe_message_id(data: bytes) -> str:
    headers = BytesHeaderParser(policy=compat32).parsebytes(data)
    raw = str(headers.get("Message-ID", "")).strip().strip("<>")
    safe = _UNSAFE_NAME_CHARS.sub("_", raw).strip("._")[:_MAX_ID_CHARS]
    return safe or "no-message-id"
