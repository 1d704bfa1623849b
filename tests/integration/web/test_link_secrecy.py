"""Personal links outside their hash (issue 12, point 4): a copy of the database or of the logs
opens no one's page, while the mail as delivered still carries a working link."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from consult.mail.sink import free_port
from consult.settings import CONFIG_ENV, PROJECT_ROOT
from models import OutboxMessage, OutboxStatus
from models.base import Base
from models.db import Database

from .conftest import BASE_URL, TOKEN_IN_LINK, World
from .test_invitee_routes import post

# Anything as long as a token, as someone with a copy would try it.
LONG_STRING = re.compile(r"[A-Za-z0-9_-]{43,}")


def every_value(db: Database) -> str:
    """Every column of every table (from the models' metadata) as text, one value a line."""
    values = []
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(table.select()):
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        values.append(bytes(value).decode("utf-8", "replace"))
                    elif isinstance(value, dict | list):
                        values.append(json.dumps(value))
                    else:
                        values.append(str(value))
    # Unfolded, as a reader would: a calendar line folded at 75 octets can split a token.
    return re.sub(r"\r\n[ \t]", "", "\n".join(values))


def delivered_tokens(world: World) -> list[str]:
    """The token of the link in the plain-text part of each delivered message."""
    found = []
    for message in world.mail():
        part = message.get_body(("plain",))
        assert part is not None
        match = TOKEN_IN_LINK.search(part.get_content())
        assert match, part.get_content()
        found.append(match.group(1))
    return found


def assert_no_page_opens(world: World, dump: str, tokens: set[str]) -> None:
    leaked = sorted(token for token in tokens if token in dump)
    assert not leaked, f"{len(leaked)} raw link tokens in the database"
    candidates = set(LONG_STRING.findall(dump))
    candidates |= {c[:43] for c in candidates} | {c[-43:] for c in candidates}
    for candidate in sorted(candidates):
        response = world.client.get(f"/i/{candidate}")
        assert response.status_code == 404, f"{candidate!r} from the database opens a page"


def test_a_copy_of_the_database_opens_no_page_before_or_after_sending(world: World) -> None:
    tokens = set(world.tokens.values())
    assert len(tokens) == len(world.invitation_ids()) > 0
    # Queued, not sent: the invitations wait in the outbox.
    assert_no_page_opens(world, every_value(world.wired.db), tokens)

    # An answer: its confirmation is queued, and the app then sends everything that is due.
    _, token = world.first()
    assert post(world, token, "answer", {"answer": "accept"}).status_code == 303
    delivered = delivered_tokens(world)
    assert len(set(delivered)) == len(tokens) + 1  # the invitations and the confirmation
    with world.wired.db.unit_of_work() as session:
        rows = session.scalars(select(OutboxMessage)).all()
        assert {row.status for row in rows} == {OutboxStatus.SENT}
        # Auditable without the token: who got what, when; the link's place is still marked.
        assert all(row.sent_at is not None and f"{BASE_URL}/i/" in row.text_body for row in rows)

    assert_no_page_opens(world, every_value(world.wired.db), tokens | set(delivered))
    # The mail as delivered carries links that work.
    for link in delivered:
        assert world.client.get(f"/i/{link}").status_code == 200


def test_the_access_log_of_consult_web_shows_no_token(world: World, tmp_path: Path) -> None:
    _, token = world.first()
    port = free_port("127.0.0.1")
    env = dict(os.environ, PREFECT_LOGGING_LEVEL="WARNING")
    assert env[CONFIG_ENV]
    log = tmp_path / "web.log"
    with log.open("wb") as out:
        web = subprocess.Popen(
            [sys.executable, "-m", "consult", "web", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_until_up(base + "/health", web)
            with urllib.request.urlopen(f"{base}/i/{token}") as page:
                assert page.status == 200
                assert "csrf" in page.read().decode("utf-8")
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(
                    urllib.request.Request(f"{base}/i/{token}/answer", data=b"answer=accept")
                )
            assert refused.value.code in (400, 403, 422)
        finally:
            web.send_signal(signal.SIGINT)
            web.wait(timeout=30)
    written = log.read_text("utf-8")
    assert '"GET /i/' in written and '"POST /i/' in written, written
    assert token not in written
    assert "/i/…" in written


def _wait_until_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "consult web stopped"
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer")
