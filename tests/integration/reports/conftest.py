"""Fixtures for the report tests: the sample report (see sample.py) and the templates."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from jinja2 import Environment

from consult.settings import PROJECT_ROOT
from consult.taxonomy import Taxonomy, load_taxonomy
from consult.templating import make_environment
from tests.integration.reports.sample import Sample, build_report


@pytest.fixture(scope="session")
def taxonomy() -> Taxonomy:
    return load_taxonomy(PROJECT_ROOT / "config")


@pytest.fixture
def make_sample(taxonomy: Taxonomy) -> Callable[[str], Sample]:
    return lambda language: build_report(taxonomy, language)


@pytest.fixture
def templates_env() -> Environment:
    return make_environment(PROJECT_ROOT / "templates")
