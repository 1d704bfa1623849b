"""One Prefect test server for the whole session: starting one costs ~15 s; a headless
Chromium per module for the browser tests that ask for `browser`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.workplace_site import launched_browser


@pytest.fixture(scope="session", autouse=True)
def prefect_server() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched_browser() as launched:
        yield launched
