"""The web app: invitee pages behind personal links, the workplace under /werkplek, and /health
for operators.

`create_app(settings)` builds everything; importing this module does nothing else, so tests and
`consult web` decide which database, secret, clock and event emitter the app gets.
"""

from __future__ import annotations

import gc
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from consult.events import Emitter, Signal, configured_emitter
from consult.i18n import N_
from consult.settings import Settings, load_settings
from consult.web.context import WebContext
from consult.web.logs import install_link_redaction
from consult.web.routes_invitee import Refused, not_found, router
from consult.web.workplace.access import page_not_found as workplace_page_not_found
from consult.web.workplace.roles import PREFIX as WORKPLACE
from consult.web.workplace.router import workplace_routers
from consult.wiring import build_app
from models.base import utcnow

logger = logging.getLogger("consult.web")

STATIC_DIR = Path(__file__).resolve().parent / "static"

# No scripts at all, styles only from our own /static, forms only to ourselves, no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


class HeadAsGet:
    """Answer HEAD wherever GET is answered, with GET's status and headers and no body: link
    checkers and mail scanners ask HEAD, and FastAPI's routes only know GET. Served as a GET,
    a HEAD goes through the same read-only handlers, so it changes nothing either."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)


def _secret(settings: Settings) -> bytes:
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode("utf-8")
    logger.warning(
        "secret_key is not set: using a random one for this run. Forms opened before a restart "
        "will be refused after it (and with several workers, by the other workers). Set "
        "CONSULT_SECRET_KEY or secret_key in the config file."
    )
    return secrets.token_bytes(32)


def _nobody_listens(signal: Signal) -> None:
    """Without a Prefect server (PREFECT_API_URL) no flow waits for events; the service's tick
    finds the answers in the database when it runs."""


def create_app(
    settings: Settings,
    *,
    emitter: Emitter | None = None,
    clock: Callable[[], datetime] = utcnow,
    send_mail: bool = True,
) -> FastAPI:
    """The app for these settings. `emitter` defaults to Prefect events when PREFECT_API_URL
    is set (`consult serve` sets it), else to none: Prefect would otherwise start an ephemeral
    server of its own in every worker on the first answer, costing seconds of CPU for events
    nobody reads. `clock` defaults to the real time; `send_mail=False` leaves confirmations in
    the outbox for the mail flow."""
    wired = build_app(settings)
    ctx = WebContext(
        app=wired,
        secret=_secret(settings),
        clock=clock,
        emitter=emitter or configured_emitter() or _nobody_listens,
        send_mail=send_mail,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Everything loaded so far (modules, templates, the app) lives as long as the process:
        # kept out of the garbage collector's full passes, which otherwise walk it all every
        # few large pages (a staff board of thousands of contributions paused ~200 ms in one).
        gc.freeze()
        try:
            yield
        finally:
            wired.db.dispose()

    app = FastAPI(
        title="consult",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.state.web = ctx
    app.add_middleware(HeadAsGet)
    app.include_router(router)
    for workplace in workplace_routers():
        app.include_router(workplace)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/health", include_in_schema=False)
    def health() -> Response:
        try:
            with wired.db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception:
            logger.exception("health check: the database does not answer")
            return JSONResponse({"status": "error", "database": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok"})

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> Response:
        return exc.response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404 and request.url.path.startswith(f"{WORKPLACE}/"):
            return await workplace_page_not_found(request)
        if exc.status_code == 404:
            return not_found(ctx)
        response = ctx.render_in_both_languages(
            exc.status_code,
            title=N_("Error %(status)s"),
            heading=N_("We cannot process this request"),
            body=N_("Please go back to the link in your email and try again."),
            status=exc.status_code,
        )
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    app.add_middleware(SecurityHeaders)
    return app


class SecurityHeaders:
    """Adds the security headers to every response that does not set them itself.

    Plain ASGI rather than @app.middleware("http"): that one (Starlette's BaseHTTPMiddleware)
    runs each response through a stream of its own, a measurable share of a page's cost."""

    HEADERS = (
        (b"content-security-policy", CONTENT_SECURITY_POLICY.encode("ascii")),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
    )

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in self.HEADERS if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def app_from_settings() -> FastAPI:
    """The app for the settings in the environment (CONSULT_CONFIG): what each worker process
    of `consult web --workers N` builds for itself. Each worker is a process of its own, so
    it redacts link tokens in its own log lines."""
    install_link_redaction()
    return create_app(load_settings())
