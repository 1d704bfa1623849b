"""`consult serve`: everything on one machine, no set-up.

1. Without PREFECT_API_URL, start a local Prefect server (`prefect server start`, its SQLite
   database under `[service] prefect_home`, on 127.0.0.1) and wait until /api/health answers.
   With PREFECT_API_URL set, use that server.
2. Migrate the app database, start the web app (`consult web`) as a child process.
3. Serve every deployment (consult/flows/deployments.py) with `prefect.serve` in a child process of
   its own (consult.runner): the tick on its interval, the event-triggered flows, the round
   flows to run by hand; and install the automation that marks dead runs crashed.

Ctrl-C or SIGTERM stops the runner (it stops its flow runs), then the web app, then the Prefect
server it started, in that order; a child that does not stop in time is killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from consult.i18n import gettext as _
from consult.i18n import pgettext
from consult.settings import Settings

Say = Callable[[str], None]
STOP_GRACE_S = 15.0


class ServeError(RuntimeError):
    """The service cannot start; the message says why and what to do."""


@dataclass
class Children:
    """Child processes in start order; stopped in reverse."""

    procs: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    def add(self, name: str, proc: subprocess.Popen[bytes]) -> None:
        self.procs.append((name, proc))

    def stop(self, say: Say) -> None:
        for name, proc in reversed(self.procs):
            if proc.poll() is not None:
                continue
            say(_("Stopping %(name)s", name=name))
            # Each child leads its own process group: the signal reaches its own children too.
            _signal_group(proc, signal.SIGTERM)
            try:
                proc.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait()


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


def prefect_executable() -> str:
    """The `prefect` command installed next to this Python (the same environment as consult)."""
    candidate = Path(sys.executable).parent / "prefect"
    return str(candidate) if candidate.exists() else "prefect"


def local_prefect_env(settings: Settings, base: Mapping[str, str]) -> dict[str, str]:
    home = settings.service.prefect_home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    env = dict(base)
    env.pop("PREFECT_API_URL", None)
    env.update(
        {
            "PREFECT_HOME": str(home),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home / 'prefect.db'}",
            "PREFECT_SERVER_API_HOST": settings.service.prefect_host,
            "PREFECT_SERVER_API_PORT": str(settings.service.prefect_port),
        }
    )
    return env


def wait_healthy(
    api_url: str, timeout_s: float, proc: subprocess.Popen[bytes] | None, log: Path | None
) -> None:
    """Poll {api_url}/health until it answers 200; fail clearly on timeout or an early exit."""
    deadline = time.monotonic() + timeout_s
    while True:
        if proc is not None and proc.poll() is not None:
            tail = _tail(log) if log else ""
            raise ServeError(
                _(
                    "the Prefect server stopped at once (code %(code)s); see %(log)s:",
                    code=proc.returncode,
                    log=log,
                )
                + f"\n{tail}"
            )
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            message = _(
                "the Prefect server at %(url)s did not answer within %(seconds)s s",
                url=api_url,
                seconds=format(timeout_s, "g"),
            )
            if log:
                message = _("%(problem)s; see %(log)s", problem=message, log=log)
            raise ServeError(message)
        time.sleep(0.5)


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _port_free(host: str, port: int) -> bool:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def start_local_prefect(settings: Settings, children: Children, say: Say) -> str:
    host, port = settings.service.prefect_host, settings.service.prefect_port
    api_url = f"http://{host}:{port}/api"
    if not _port_free(host, port):
        raise ServeError(
            _(
                "port %(port)s on %(host)s is taken. Is a Prefect server running already? Then "
                "set PREFECT_API_URL=%(url)s, or choose another port with "
                "CONSULT_SERVICE__PREFECT_PORT",
                port=port,
                host=host,
                url=api_url,
            )
        )
    env = local_prefect_env(settings, os.environ)
    log = Path(env["PREFECT_HOME"]) / "server.log"
    say(
        _(
            "Starting the Prefect server at %(url)s (data in %(home)s)",
            url=api_url,
            home=env["PREFECT_HOME"],
        )
    )
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [prefect_executable(), "server", "start", "--host", host, "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    children.add(pgettext("service part", "Prefect server"), proc)
    wait_healthy(api_url, settings.service.startup_timeout_s, proc, log)
    return api_url


def start_web(host: str, port: int, children: Children, say: Say) -> None:
    url = f"http://{host}:{port}"
    say(_("Starting the web app at %(url)s", url=url))
    proc = subprocess.Popen(
        [sys.executable, "-m", "consult", "web", "--host", host, "--port", str(port)],
        env=dict(os.environ),
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    children.add(pgettext("service part", "Web app"), proc)


class Stop(Exception):
    """Ctrl-C or SIGTERM reached the supervisor."""


@contextmanager
def _signals_stop() -> Iterator[None]:
    def stop(signum: int, frame: object) -> None:
        raise Stop(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def start_runner(children: Children, say: Say) -> None:
    """`prefect.serve` of every deployment, in a child process of its own (consult.runner):
    it stops its flow runs when it gets SIGTERM, which is how the supervisor stops it."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "consult.runner"],
        env=dict(os.environ),
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    children.add(pgettext("service part", "Flows"), proc)


def supervise(children: Children) -> None:
    """Wait for a signal; a child that ends by itself ends the service (with its name)."""
    while True:
        for name, proc in children.procs:
            if proc.poll() is not None:
                raise ServeError(
                    _(
                        "%(name)s stopped unexpectedly (code %(code)s)",
                        name=name,
                        code=proc.returncode,
                    )
                )
        time.sleep(0.5)


def run_service(settings: Settings, web_host: str, web_port: int, say: Say) -> None:
    """Run until Ctrl-C or SIGTERM; every child is stopped before this returns."""
    from consult.mail.outbox import seal_raw_links
    from consult.wiring import open_app
    from models.migrate import upgrade

    children = Children()
    with _signals_stop():
        try:
            api_url = os.environ.get("PREFECT_API_URL")
            if api_url:
                say(_("Prefect server: %(url)s (PREFECT_API_URL)", url=api_url))
                wait_healthy(api_url.rstrip("/"), settings.service.startup_timeout_s, None, None)
            else:
                api_url = start_local_prefect(settings, children, say)
                # The children (web app events, the runner) talk to it.
                os.environ["PREFECT_API_URL"] = api_url
            upgrade(settings.database_url)
            with open_app(settings) as app, app.db.unit_of_work() as session:
                seal_raw_links(session, app.sealer)
            start_web(web_host, web_port, children, say)
            start_runner(children, say)
            say(_("Everything runs; Ctrl-C stops it all"))
            supervise(children)
        except Stop:
            pass
        finally:
            # A second Ctrl-C must not cut the shutdown short and leave children behind.
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, signal.SIG_IGN)
            children.stop(say)
    say(_("Stopped."))
