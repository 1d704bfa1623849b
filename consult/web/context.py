"""What every request handler needs, built once per app by create_app: database, templates,
secret, clock and event emitter; plus page rendering and the after-response work."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fastapi import BackgroundTasks, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session, sessionmaker

from consult.app import outbox
from consult.events import Emitter, Signal, emit_all
from consult.i18n import DEFAULT_LANGUAGE, LANGUAGES, N_, gettext, normalise
from consult.web.errors import error_message
from consult.wiring import App

logger = logging.getLogger("consult.web")

# Personal pages: no caching by browsers or proxies, no indexing, and no Referer, so the
# token in the address never reaches the meeting service or any other site a page links to.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}


# The names of our languages, each shown in its own language on the switch to it.
LANGUAGE_NAMES = {"nl": N_("Dutch"), "en": N_("English")}


@dataclass(frozen=True)
class LanguageSwitch:
    """The button to the other language; it speaks the language it switches to."""

    lang: str
    label: str
    hint: str


def language_switch(lang: str) -> LanguageSwitch:
    other = "nl" if lang == "en" else "en"
    name = gettext(LANGUAGE_NAMES[other], other)
    return LanguageSwitch(other, name, gettext("Switch to %(name)s", other, name=name))


@dataclass(frozen=True)
class Said:
    """One language's words on a page in both languages."""

    lang: str
    title: str
    heading: str
    body: str


@dataclass
class WebContext:
    app: App
    secret: bytes
    clock: Callable[[], datetime]
    emitter: Emitter
    send_mail: bool = True
    _reader: sessionmaker[Session] = field(init=False)
    # One mail sender at a time per process: see _send_mail.
    _sending: threading.Lock = field(init=False, default_factory=threading.Lock)
    _more_mail: threading.Event = field(init=False, default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._reader = sessionmaker(self.app.db.read_engine, expire_on_commit=False)

    @property
    def grace(self) -> timedelta:
        return timedelta(days=self.app.settings.link_grace_days)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for GET requests. It is always rolled back: a page that is only looked at
        (mail scanners open every link) can never change the database, even by mistake."""
        session = self._reader()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    @contextmanager
    def writing(self) -> Iterator[Session]:
        with self.app.db.unit_of_work() as session:
            yield session

    def render(
        self,
        template: str,
        language: str,
        status_code: int = 200,
        errors: Mapping[str, str] | None = None,
        **context: Any,
    ) -> HTMLResponse:
        lang = normalise(language)
        error_list = [
            (name, error_message(lang, name, code)) for name, code in (errors or {}).items()
        ]
        html = self.app.env.get_template(template).render(
            lang=lang,
            switch=language_switch(lang),
            errors=error_list,
            error_fields={name: message for name, message in error_list},
            organiser_email=self.app.settings.organiser.email,
            **context,
        )
        return HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)

    def render_in_both_languages(
        self, status_code: int, title: str, heading: str, body: str, **variables: Any
    ) -> HTMLResponse:
        """A page for a reader whose language is unknown (a link that does not work, a request
        we cannot process): Dutch first, then English. `title`, `heading` and `body` are
        message ids; `variables` fill their placeholders."""
        said = [
            Said(
                lang,
                gettext(title, lang, **variables),
                gettext(heading, lang, **variables),
                gettext(body, lang, **variables),
            )
            for lang in LANGUAGES
        ]
        return self.render("web/both_languages.html", DEFAULT_LANGUAGE, status_code, said=said)

    def after_response(
        self, background: BackgroundTasks, mail: bool, signals: Sequence[Signal]
    ) -> None:
        """Work that follows a committed change, run after the response is sent: the answer
        never waits for the mail relay or for Prefect, and their failures only get logged."""
        if mail and self.send_mail:
            # A plain function too: send_due talks to the database synchronously, which on the
            # event loop would stall every other request (on SQLite for as long as it waits
            # for the write lock).
            background.add_task(self._send_mail)
        if signals:
            # A plain function: Starlette runs it in a worker thread, so a slow Prefect API
            # does not hold up the event loop.
            background.add_task(emit_all, self.emitter, list(signals))

    def _send_mail(self) -> None:
        """Send what is due, unless a sender of this process is already at it: that one goes
        round once more instead. Under load, one sender per answer would only fight over the
        same outbox rows (and on SQLite over the one write lock)."""
        self._more_mail.set()
        while self._sending.acquire(blocking=False):
            try:
                while self._more_mail.is_set():
                    self._more_mail.clear()
                    self._send_due()
            finally:
                self._sending.release()
            # Asked again between the last round and the release: nobody else took it on.
            if not self._more_mail.is_set():
                return

    def _send_due(self) -> None:
        try:
            # No waiting for retries: a message the relay defers is left for the next run of
            # `consult outbox send` or the mail flow.
            asyncio.run(outbox.send(self.app, retry_wait=timedelta(0)))
        except Exception:
            logger.exception("sending due mail after a page answer failed; it stays queued")


def web_context(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.web
    return ctx
