"""The one place where settings become live objects: database, templates, taxonomy."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from jinja2 import Environment

from consult.settings import Settings, load_settings
from consult.taxonomy import Taxonomy, load_taxonomy
from consult.templating import MailContext, make_environment
from consult.tokens import LinkSealer, Sealer, secret_from_file
from models.db import Database


@dataclass
class App:
    settings: Settings
    db: Database
    env: Environment
    taxonomy: Taxonomy
    _sealer: LinkSealer | None = field(default=None, repr=False)
    _totp_sealer: Sealer | None = field(default=None, repr=False)

    @property
    def sealer(self) -> LinkSealer:
        """Seals link tokens for the outbox and unseals them for sending."""
        if self._sealer is None:
            self._sealer = link_sealer(self.settings)
        return self._sealer

    @property
    def totp_sealer(self) -> Sealer:
        """Seals the workplace accounts' TOTP secrets for the database and unseals them to
        check a code."""
        if self._totp_sealer is None:
            self._totp_sealer = Sealer(installation_secret(self.settings), b"consult totp secrets")
        return self._totp_sealer

    def mail_context(self) -> MailContext:
        organiser = self.settings.organiser
        return MailContext(
            self.env, self.settings.base_url, organiser.name, organiser.email, self.sealer
        )


def installation_secret(settings: Settings) -> bytes:
    """secret_key, or without it the secret in secret_key_file (made on first use)."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode("utf-8")
    return secret_from_file(settings.secret_key_file)


def link_sealer(settings: Settings) -> LinkSealer:
    return LinkSealer(installation_secret(settings))


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
