"""Fixtures for the calendar integration tests: the wired application on the test database
(SQLite, and PostgreSQL where CONSULT_TEST_DATABASE_URL is set), as in tests/integration/db."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from consult.settings import Settings
from consult.wiring import App, open_app

# A private Dovecot IMAP server and a fresh mailbox on it, for the calendar-reply poller tests.
from tests.integration.calendar.dovecot import dovecot_server, imap_settings  # noqa: F401


@pytest.fixture
def app(settings: Settings) -> Iterator[App]:
    with open_app(settings) as wired:
        yield wired
