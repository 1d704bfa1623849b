"""Shared fixtures: a migrated database on SQLite and on the PostgreSQL in
CONSULT_TEST_DATABASE_URL (one throw-away schema per test; script/test sets it), and a config
file pointing at it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from consult.settings import CONFIG_ENV, PROJECT_ROOT, Settings, load_settings
from models.migrate import upgrade

PG_ENV = "CONSULT_TEST_DATABASE_URL"
# Before Prefect is first imported: no telemetry from the test server on a closed network.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


def _pg_base_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        # A failure, not a skip: script/test always sets it, and a skipped PostgreSQL variant
        # would hide exactly the bugs that only show on PostgreSQL.
        pytest.fail(
            f"{PG_ENV} is not set: run the tests with script/test, which starts PostgreSQL and "
            f"sets it, or set it yourself (e.g. postgresql://postgres@127.0.0.1:5432/test), or "
            f"leave the PostgreSQL variants out with -k 'not postgresql'",
            pytrace=False,
        )
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty, migrated database; the PostgreSQL variant lives in its own schema."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'consult.db'}"
        upgrade(url)
        yield url
        return
    with _migrated_schema(_pg_base_url()) as url:
        yield url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL schema for tests that only make sense on PostgreSQL (row locks
    across processes)."""
    with _migrated_schema(_pg_base_url()) as url:
        yield url


@contextmanager
def _migrated_schema(base: str) -> Iterator[str]:
    """A URL for a fresh, migrated schema of its own in the database at `base`, dropped after."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(make_url(base).set(drivername="postgresql+psycopg"))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = (
        make_url(base)
        .set(drivername="postgresql+psycopg")
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )
    try:
        upgrade(url)
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def write_config(
    directory: Path, database_url: str, require_approval: bool = False, **extra: str | int
) -> Path:
    """A configuration file for a test. Mailings need no approval unless asked for: most tests
    are about what happens once mail leaves (tests of mailing review ask for it, or set it in
    their round's spec)."""
    lines = [
        f'database_url = "{database_url}"',
        f'reports_dir = "{directory / "reports"}"',
        f'config_dir = "{PROJECT_ROOT / "config"}"',
        f'templates_dir = "{PROJECT_ROOT / "templates"}"',
        # Made on first use; here, so a test's links are sealed with a secret of its own.
        f'secret_key_file = "{directory / "secret.key"}"',
    ]
    # Before [smtp]: some tests append [smtp] keys at the end of the file.
    lines += ["[mail]", f"require_approval = {'true' if require_approval else 'false'}"]
    smtp = {k.removeprefix("smtp_"): v for k, v in extra.items() if k.startswith("smtp_")}
    if smtp:
        lines.append("[smtp]")
        lines += [f"{k} = {v!r}" if isinstance(v, int) else f'{k} = "{v}"' for k, v in smtp.items()]
    path = directory / "consult.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def settings(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings read through CONSULT_CONFIG, as every command and flow reads them."""
    monkeypatch.setenv(CONFIG_ENV, str(write_config(tmp_path, database_url)))
    return load_settings()
