"""A real Radicale CalDAV server on 127.0.0.1 for the tests, in its own process, with a
throw-away storage folder and no authentication (any user name is accepted)."""

from __future__ import annotations

import base64
import http.client
import importlib.util
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from consult.mail.sink import free_port

START_TIMEOUT_S = 20.0
REQUEST_TIMEOUT_S = 10.0
USER = "consult"


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes


@dataclass(frozen=True)
class Radicale:
    port: int
    log: Path

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        auth = base64.b64encode(f"{USER}:x".encode()).decode()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT_S)
        try:
            conn.request(
                method,
                path,
                body=body,
                headers={"Authorization": f"Basic {auth}"} | (headers or {}),
            )
            response = conn.getresponse()
            return Response(response.status, response.read())
        finally:
            conn.close()


def _wait_until_listening(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"Radicale exited with {process.returncode}:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"Radicale did not listen on 127.0.0.1:{port} within {START_TIMEOUT_S} s")


@contextmanager
def running_radicale(directory: Path) -> Iterator[Radicale]:
    if importlib.util.find_spec("radicale") is None:
        pytest.fail("radicale is not installed; run `uv sync` (it is a dev dependency)")
    port = free_port()
    config = directory / "radicale.conf"
    config.write_text(
        "\n".join(
            [
                "[server]",
                f"hosts = 127.0.0.1:{port}",
                "[auth]",
                "type = none",
                "[rights]",
                "type = owner_only",
                "[storage]",
                f"filesystem_folder = {directory / 'collections'}",
                "[web]",
                "type = none",
                "[logging]",
                "level = warning",
                "",
            ]
        ),
        encoding="utf-8",
    )
    log = directory / "radicale.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "radicale", "--config", str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_listening(process, port, log)
        yield Radicale(port, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
