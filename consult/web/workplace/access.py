"""Who may open which workplace route: every route declares one guard, which is the only way a
route learns who is asking.

- `ANYONE`: open without signing in (sign-in, password reset, the language switch);
- `PENDING`: the password was right and the code is still to come;
- `requires(role, ...)`: signed in with both factors, in one of these roles.

A visitor without the session a route needs is sent to the sign-in page (303); a signed-in
visitor in another role is refused (403). Every POST carries the CSRF token of its session (or,
before signing in, one bound to a random cookie of this browser); without it the request is
refused (403) before the route runs. `guards(router)` lists every route with its guard, so a
test can walk them all, and `check_guarded` refuses a router with an unguarded route.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from consult.actors import set_actor
from consult.app import accounts
from consult.app.accounts import Visitor
from consult.i18n import normalise
from consult.text import clean_text
from consult.web.context import WebContext, web_context
from consult.web.routes_invitee import Refused
from consult.web.workplace.cookies import FORM_COOKIE, LANGUAGE_COOKIE, SESSION_COOKIE
from consult.web.workplace.pages import Visit, forbidden, form_expired, not_found, too_large
from consult.web.workplace.roles import CODE_PATH, SIGN_IN_PATH, home_for
from models import Role

SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
# Every workplace form is a few fields of text; anything far larger is not a person typing.
MAX_FORM_BYTES: Final = 100_000


async def read_form(request: Request) -> FormData:
    """The posted form (read once per request; the guard has read it already)."""
    return await request.form()


Form = Annotated[FormData, Depends(read_form)]


def field(form: FormData, name: str) -> str:
    """A text field as consult keeps text (no NUL, which PostgreSQL refuses); "" if absent."""
    value = form.get(name)
    return clean_text(value) if isinstance(value, str) else ""


def fields(form: FormData, name: str) -> list[str]:
    """Every value of a field that repeats (checkboxes)."""
    return [clean_text(v) for v in form.getlist(name) if isinstance(v, str)]


class Audience(Enum):
    ANYONE = "anyone"
    PENDING = "pending"
    SIGNED_IN = "signed in"


def anonymous_csrf(secret: bytes, form_cookie: str) -> str:
    return hmac.new(secret, f"werkplek:{form_cookie}".encode(), hashlib.sha256).hexdigest()


def csrf_matches(expected: str, submitted: object) -> bool:
    if not isinstance(submitted, str) or not submitted:
        return False
    # As bytes: compare_digest refuses str with non-ASCII characters, which a forged form sends.
    return hmac.compare_digest(expected.encode("ascii"), submitted.encode("utf-8"))


def _language(request: Request, visitor: Visitor | None) -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in ("nl", "en"):
        return chosen
    return normalise(visitor.language) if visitor else "nl"


class Guard:
    """A route's dependency that decides whether the request may go on, and returns the Visit."""

    def __init__(
        self,
        audience: Audience,
        roles: frozenset[Role] = frozenset(),
        upload_limit: int | None = None,
    ) -> None:
        self.audience = audience
        self.roles = roles
        # A route that takes a file: how large it may be (the rest of its form is small).
        self.upload_limit = upload_limit

    def __repr__(self) -> str:
        roles = ", ".join(sorted(r.value for r in self.roles))
        return f"Guard({self.audience.value}{': ' + roles if roles else ''})"

    def allows(self, role: Role | None, pending: bool = False) -> bool:
        """Whether a visitor in `role` (None: not signed in; `pending`: only the password was
        checked) may open the route."""
        if self.audience is Audience.ANYONE:
            return True
        if self.audience is Audience.PENDING:
            return role is not None and pending
        return role is not None and not pending and role in self.roles

    async def __call__(self, request: Request) -> Visit:
        ctx = web_context(request)
        # In a worker thread: the database is asked synchronously, which on the event loop
        # would hold up every other request meanwhile.
        visitor = await run_in_threadpool(_visitor, ctx, request)
        self._let_in(ctx, request, visitor)
        if visitor is not None and not visitor.pending:
            # What this request changes is written down in the audit log under its account
            # (the context belongs to this request alone).
            set_actor(f"account:{visitor.account_id}")
        visit = _visit(ctx, request, visitor)
        if request.method not in SAFE_METHODS:
            length = request.headers.get("content-length", "")
            limit = MAX_FORM_BYTES + (self.upload_limit or 0)
            if not length.isdigit():
                raise Refused(form_expired(ctx, visit))
            if int(length) > limit:
                if self.upload_limit is not None:
                    raise Refused(too_large(ctx, visit, self.upload_limit))
                raise Refused(form_expired(ctx, visit))
            form = await request.form()
            if not csrf_matches(visit.csrf, form.get("csrf")):
                raise Refused(form_expired(ctx, visit))
        return visit

    def _let_in(self, ctx: WebContext, request: Request, visitor: Visitor | None) -> None:
        if self.audience is Audience.ANYONE:
            return
        if visitor is None:
            # A session cookie without a live session: it ended (inactivity, sign-out).
            ended = "?melding=verlopen" if request.cookies.get(SESSION_COOKIE) else ""
            raise Refused(RedirectResponse(SIGN_IN_PATH + ended, status_code=303))
        if self.audience is Audience.PENDING:
            if not visitor.pending:
                raise Refused(RedirectResponse(home_for(visitor.role), status_code=303))
            return
        if visitor.pending:
            raise Refused(RedirectResponse(CODE_PATH, status_code=303))
        if visitor.role not in self.roles:
            lang = _language(request, visitor)
            visit = Visit(lang, request.url.path, visitor.csrf_token, visitor)
            raise Refused(forbidden(ctx, visit))


def _visit(ctx: WebContext, request: Request, visitor: Visitor | None) -> Visit:
    lang, path = _language(request, visitor), request.url.path
    if visitor is not None:
        return Visit(lang, path, visitor.csrf_token, visitor)
    cookie = request.cookies.get(FORM_COOKIE) or ""
    new_cookie = None
    if len(cookie) < 32:
        cookie = new_cookie = secrets.token_urlsafe(32)
    return Visit(lang, path, anonymous_csrf(ctx.secret, cookie), None, new_cookie)


async def page_not_found(request: Request) -> Response:
    """The workplace's own 404, for an address under /werkplek that has no page."""
    ctx = web_context(request)
    visitor = await run_in_threadpool(_visitor, ctx, request)
    return not_found(ctx, _visit(ctx, request, visitor))


def _visitor(ctx: WebContext, request: Request) -> Visitor | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    now = ctx.clock()
    with ctx.reading() as session:
        visitor = accounts.visitor(session, ctx.app, token, now)
    if visitor is not None and visitor.stale and not visitor.pending:
        # Session bookkeeping, not a change to anything the visitor sees: it keeps a reader
        # of pages signed in for as long as they keep reading.
        with ctx.writing() as session:
            accounts.touch(session, visitor.session_id, now)
    return visitor


ANYONE: Final = Guard(Audience.ANYONE)
PENDING: Final = Guard(Audience.PENDING)


def requires(*roles: Role, upload_limit: int | None = None) -> Guard:
    """The guard of a route for signed-in visitors in one of `roles`; with `upload_limit`,
    its form carries a file of at most that many bytes."""
    if not roles:
        raise ValueError("a route for signed-in visitors names the roles it is for")
    return Guard(Audience.SIGNED_IN, frozenset(roles), upload_limit)


def _guards_in(dependant: Dependant) -> Iterator[Guard]:
    for dependency in dependant.dependencies:
        if isinstance(dependency.call, Guard):
            yield dependency.call
        yield from _guards_in(dependency)


@dataclass(frozen=True)
class GuardedRoute:
    method: str
    path: str
    guard: Guard


def guards(routers: Iterable[APIRouter]) -> list[GuardedRoute]:
    """Every route of `routers` with the guard it declares."""
    found = []
    for route in (route for router in routers for route in router.routes):
        if not isinstance(route, APIRoute):
            continue
        declared = set(_guards_in(route.dependant))
        if len(declared) != 1:
            raise TypeError(f"{route.path} declares {len(declared)} guards instead of one")
        (guard,) = declared
        found += [GuardedRoute(method, route.path, guard) for method in sorted(route.methods or ())]
    return found


def check_guarded(routers: Sequence[APIRouter]) -> Sequence[APIRouter]:
    """`routers`, after making sure every one of their routes declares exactly one guard."""
    guards(routers)
    return routers
