"""The one place where settings become live objects: database, templates, taxonomy."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from jinja2 import Environment

from consult.settings import Settings, load_settings
from consult.taxonomy import Taxonomy, load_taxonomy
from consult.templating import MailContext, make_environment
from models.db import Database


@dataclass
class App:
    settings: Settings
    db: Database
    env: Environment
    taxonomy: Taxonomy

    def mail_context(self) -> MailContext:
        organiser = self.settings.organiser
        return MailContext(self.env, self.settings.base_url, organiser.name, organiser.email)


def build_app(settings: Settings) -> App:
    """The live objects for these settings; the caller disposes of `db` when done (the web app
    does so when it shuts down, `open_app` when its block ends)."""
    return App(
        settings=settings,
        db=Database(settings.database_url),
        env=make_environment(settings.templates_dir),
        taxonomy=load_taxonomy(settings.config_dir),
    )


@contextmanager
def open_app(settings: Settings | None = None) -> Iterator[App]:
    app = build_app(settings or load_settings())
    try:
        yield app
    finally:
        app.db.dispose()
