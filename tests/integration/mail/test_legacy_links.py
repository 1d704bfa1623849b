"""Mail queued before links were sealed (issue 12, point 4): `consult db upgrade` cuts the raw
tokens out of sent mail and seals those of mail still waiting, which then goes out with its
working link and is not kept with it."""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path

import pytest
from icalendar.parser import Contentline
from sqlalchemy import text
from typer.testing import CliRunner

from consult.cli import app
from consult.mail.sink import EmlSink
from consult.settings import CONFIG_ENV
from consult.tokens import new_token
from models.db import make_engine
from models.migrate import downgrade

BASE = "https://consult.example.org"


def _ics(token: str) -> bytes:
    # Long enough a line that folding at 75 octets splits the token.
    description = "DESCRIPTION:Richtvragen en uw inbreng vooraf: " + f"{BASE}/i/{token}/input"
    lines = [
        "BEGIN:VCALENDAR",
        "METHOD:REQUEST",
        "PRODID:-//test//",
        "VERSION:2.0",
        "BEGIN:VEVENT",
        "UID:legacy@commissie-wiz.example",
        Contentline(description).to_ical().decode(),
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
    return "\r\n".join(lines).encode("utf-8")


def _insert(conn: object, n: int, status: str, token: str) -> None:
    link = f"{BASE}/i/{token}"
    conn.execute(  # type: ignore[attr-defined]
        text(
            "INSERT INTO outbox_message (kind, idempotency_key, message_id, recipient_email, "
            "recipient_name, subject, text_body, html_body, calendar_ics, calendar_method, "
            "status, attempts, created_at) VALUES ('calendar_request', :key, :mid, :to, 'Oud', "
            "'Uitnodiging', :text, :html, :ics, 'REQUEST', :status, 0, CURRENT_TIMESTAMP)"
        ),
        {
            "key": f"legacy:{n}",
            "mid": f"<legacy{n}@commissie-wiz.example>",
            "to": f"oud{n}@zorg.example",
            "text": f"Beste,\n\nUw link: {link}\n",
            "html": f'<p><a href="{link}">Uw pagina</a> {link}</p>',
            "ics": _ics(token),
            "status": status,
        },
    )


def _everything(url: str) -> str:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT text_body, html_body, calendar_ics FROM outbox_message")
            ).all()
    finally:
        engine.dispose()
    values = [f"{t}\n{h}\n{bytes(i).decode()}" for t, h, i in rows]
    return re.sub(r"\r\n[ \t]", "", "\n".join(values))


def test_db_upgrade_takes_raw_tokens_out_of_mail_queued_before_the_change(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent_token, waiting_token = new_token(), new_token()
    downgrade(database_url, "0006")
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            _insert(conn, 1, "sent", sent_token)
            _insert(conn, 2, "pending", waiting_token)
    finally:
        engine.dispose()
    assert sent_token in _everything(database_url)

    runner = CliRunner()
    with EmlSink(tmp_path / "mail") as sink:
        config = tmp_path / "consult.toml"
        config.write_text(
            f'database_url = "{database_url}"\n'
            f'secret_key_file = "{tmp_path / "secret.key"}"\n'
            f"[smtp]\nport = {sink.port}\nretry_wait_s = 0.0\n",
            encoding="utf-8",
        )
        monkeypatch.setenv(CONFIG_ENV, str(config))
        upgraded = runner.invoke(app, ["db", "upgrade"])
        assert upgraded.exit_code == 0, upgraded.output
        # Neither token is left in the database: the sent one is cut out, the waiting one sealed.
        stored = _everything(database_url)
        assert sent_token not in stored and waiting_token not in stored
        assert f"{BASE}/i/…" in stored

        sent = runner.invoke(app, ["outbox", "send"])
        assert "verzonden: 1, mislukt: 0" in sent.output, sent.output

    (path,) = sorted((tmp_path / "mail").glob("*.eml"))
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["To"].addresses[0].addr_spec == "oud2@zorg.example"
    plain = message.get_body(("plain",))
    assert plain is not None and f"{BASE}/i/{waiting_token}" in plain.get_content()
    calendar = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    unfolded = re.sub(r"\r\n[ \t]", "", calendar.get_content())
    assert f"{BASE}/i/{waiting_token}/input" in unfolded
    assert waiting_token not in _everything(database_url)
