"""A private Dovecot IMAP server for tests: its own config, sockets, state, mail and log in a
temporary folder, listening on a free port on 127.0.0.1, started as `dovecot -F` and stopped at
the end. Any user name logs in with PASSWORD and gets an empty Maildir of its own, so each test
can use a fresh mailbox on the one server.

Dovecot must be installed (Debian: dovecot-imapd; .ci/run installs it when missing). Without it
the tests fail, saying so: the poller is only proven against a real IMAP server. The config is
written for Dovecot 2.3 (Debian 12); 2.4 changed the syntax, and is refused with that message.

When the tests run as root, Dovecot will not run its login processes or hold mail as root: the
login processes run as `dovenull` and the mail belongs to `dovecot`, the users the Debian package
creates. Otherwise everything runs as the current user.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr

from consult.settings import ImapSettings, TlsMode

PASSWORD = "test-wachtwoord"
START_TIMEOUT_S = 20.0
# /usr/sbin is not on every user's PATH.
CANDIDATES = ("dovecot", "/usr/sbin/dovecot", "/usr/local/sbin/dovecot")


@dataclass(frozen=True)
class DovecotServer:
    host: str
    port: int
    password: str
    root: Path
    log_path: Path

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""


def find_dovecot() -> str:
    for candidate in CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    pytest.fail(
        "Dovecot is not installed, and the calendar-reply tests need a real IMAP server: "
        "apt-get install dovecot-imapd (.ci/run installs it when `dovecot` is missing)",
        pytrace=False,
    )


def _version(binary: str) -> tuple[int, int]:
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
    match = re.match(r"(\d+)\.(\d+)", out.stdout.strip())
    if match is None:
        pytest.fail(f"cannot read the Dovecot version from {out.stdout!r}", pytrace=False)
    return int(match.group(1)), int(match.group(2))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _users(mail_dir: Path) -> tuple[str, str, str, pwd.struct_passwd]:
    """(login user, internal user, its group, mail owner)."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        return me.pw_name, me.pw_name, grp.getgrgid(me.pw_gid).gr_name, me
    try:
        pwd.getpwnam("dovenull")
        owner = pwd.getpwnam("dovecot")
    except KeyError:
        pytest.fail(
            "running as root needs the users dovenull and dovecot (made by the Debian package)",
            pytrace=False,
        )
    os.chown(mail_dir, owner.pw_uid, owner.pw_gid)
    return "dovenull", "dovecot", grp.getgrgid(owner.pw_gid).gr_name, owner


def _config(root: Path, port: int) -> str:
    mail_dir = root / "mail"
    mail_dir.mkdir()
    login_user, internal_user, internal_group, owner = _users(mail_dir)
    return f"""# Written by tests/integration/calendar/dovecot.py for one test run.
protocols = imap
listen = 127.0.0.1
base_dir = {root / "run"}
state_dir = {root / "state"}
instance_name = consult-test-{port}
log_path = {root / "dovecot.log"}
info_log_path = {root / "dovecot.log"}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {internal_group}
first_valid_uid = {owner.pw_uid}
first_valid_gid = {owner.pw_gid}
mail_location = maildir:~/Maildir
mail_fsync = never
passdb {{
  driver = static
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = uid={owner.pw_uid} gid={owner.pw_gid} home={mail_dir}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
  # No growing delays after failed logins: tests log in and out many times.
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""


def _wait_until_answering(process: subprocess.Popen[bytes], server: DovecotServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    last_error = ""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with socket.create_connection((server.host, server.port), timeout=1) as conn:
                greeting = conn.recv(200)
            if greeting.startswith(b"* OK"):
                return
            last_error = f"greeting {greeting!r}"
        except OSError as exc:
            last_error = str(exc)
        time.sleep(0.05)
    output = (server.root / "stdout.log").read_text(encoding="utf-8", errors="replace")
    pytest.fail(
        f"Dovecot did not answer on {server.host}:{server.port} ({last_error}); exit code "
        f"{process.poll()}\n{output}\n--- log ---\n{server.log()}",
        pytrace=False,
    )


@contextlib.contextmanager
def running_dovecot() -> Iterator[DovecotServer]:
    binary = find_dovecot()
    version = _version(binary)
    if version >= (2, 4) or version < (2, 3):
        pytest.fail(
            f"tests/integration/calendar/dovecot.py writes a Dovecot 2.3 config; found "
            f"{version[0]}.{version[1]}",
            pytrace=False,
        )
    # Short and world-traversable: unix socket paths are limited to ~100 bytes, and as root
    # the unprivileged Dovecot processes must reach their sockets and the mail.
    root = Path(tempfile.mkdtemp(prefix="consult-dovecot-"))
    root.chmod(0o755)
    port = _free_port()
    conf = root / "dovecot.conf"
    conf.write_text(_config(root, port), encoding="utf-8")
    server = DovecotServer("127.0.0.1", port, PASSWORD, root, root / "dovecot.log")
    # Output to a file, not a pipe: nobody reads a pipe while the tests run, and a full one
    # would block the server.
    with (root / "stdout.log").open("wb") as output:
        process = subprocess.Popen(
            [binary, "-F", "-c", str(conf)],
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        _wait_until_answering(process, server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


# --- fixtures (made visible to the tests by conftest.py) ------------------------------------


@pytest.fixture(scope="session")
def dovecot_server() -> Iterator[DovecotServer]:
    """One Dovecot for the whole run; tests keep apart by logging in as different users."""
    with running_dovecot() as server:
        yield server


@pytest.fixture
def imap_settings(dovecot_server: DovecotServer) -> ImapSettings:
    """Settings for an empty mailbox of a user no other test uses."""
    return ImapSettings(
        host=dovecot_server.host,
        port=dovecot_server.port,
        tls=TlsMode.NONE,
        username=f"secretariaat-{uuid.uuid4().hex[:10]}",
        password=SecretStr(dovecot_server.password),
        timeout_s=10,
    )
