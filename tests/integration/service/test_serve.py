"""`consult serve` as the secretariat runs it: a subprocess that starts a local Prefect server,
the web app and the deployments, and stops all of it on Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from consult.flows.deployments import CRASH_DETECTION
from consult.settings import CONFIG_ENV, PROJECT_ROOT

pytestmark = pytest.mark.slow

EXPECTED = {
    "service-tick",
    "on-answer",
    "on-contribution",
    "on-blocks-approved",
    "send-invitations",
    "schedule-sessions",
    "synthesise-round",
    "compile-report",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def descendants(pid: int) -> set[int]:
    """Every live process below `pid`, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_for(check, timeout: float, what: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"consult serve ended early ({proc.returncode}):\n{log.read_text()}")
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"no {what} within {timeout} s:\n{log.read_text()}")


def test_serve_starts_everything_and_ctrl_c_stops_everything(tmp_path: Path) -> None:
    web_port, prefect_port = free_port(), free_port()
    config = tmp_path / "consult.toml"
    config.write_text(
        "\n".join(
            [
                f'database_url = "sqlite:///{tmp_path / "consult.db"}"',
                f'reports_dir = "{tmp_path / "reports"}"',
                f'config_dir = "{PROJECT_ROOT / "config"}"',
                f'templates_dir = "{PROJECT_ROOT / "templates"}"',
                "[service]",
                f'prefect_home = "{tmp_path / "prefect"}"',
                f"prefect_port = {prefect_port}",
                "tick_seconds = 30",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CONSULT_"))}
    env[CONFIG_ENV] = str(config)
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "consult", "serve", "--port", str(web_port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
    api = f"http://127.0.0.1:{prefect_port}/api"
    try:
        wait_for(
            lambda: httpx.get(f"http://127.0.0.1:{web_port}/health").status_code == 200,
            120,
            "web app",
            proc,
            log,
        )

        def deployed() -> bool:
            response = httpx.post(
                f"{api}/deployments/filter", json={"limit": 100, "offset": 0, "sort": "NAME_ASC"}
            )
            flows = {
                f["id"]: f["name"]
                for f in httpx.post(
                    f"{api}/flows/filter", json={"limit": 100, "offset": 0, "sort": "NAME_ASC"}
                ).json()
            }
            names = {flows.get(d["flow_id"]) for d in response.json()}
            return names >= EXPECTED

        wait_for(deployed, 120, "deployments", proc, log)
        # The tick runs on its schedule: its trigger and interval are registered.
        tick = httpx.get(f"{api}/deployments/name/service-tick/consult").json()
        assert tick["schedules"][0]["schedule"]["interval"] == 30.0
        answer = httpx.get(f"{api}/deployments/name/on-answer/consult").json()
        assert answer["name"] == "consult"
        # Runs of a worker that died are marked crashed when their heartbeat stops.
        automations = httpx.post(f"{api}/automations/filter", json={"limit": 50}).json()
        (crash,) = [a for a in automations if a["name"] == CRASH_DETECTION]
        assert crash["enabled"] and crash["trigger"]["posture"] == "Proactive"
        assert crash["actions"][0]["state"] == "CRASHED"
        children = descendants(proc.pid)
        assert len(children) >= 3  # Prefect server, web app, runner
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail(f"consult serve did not stop on Ctrl-C:\n{log.read_text()}")
    output = log.read_text()
    assert code == 0, output
    assert "Gestopt." in output
    left = [pid for pid in children if alive(pid)]
    assert left == [], output
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{web_port}/health", timeout=2)
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{api}/health", timeout=2)
