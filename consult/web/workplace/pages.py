"""Rendering workplace pages: who is asking (Visit), the shared frame (navigation by role,
language switch, sign-out), and the pages every route may end in (refused, form expired, a
message)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi.responses import HTMLResponse

from consult.app.accounts import Visitor
from consult.i18n import gettext, pgettext
from consult.web.context import PAGE_HEADERS, WebContext, language_switch
from consult.web.workplace import cookies
from consult.web.workplace.roles import (
    ACCOUNT_MANAGERS,
    REGION_VIEWERS,
    REGISTRY_KEEPERS,
    ROUND_READERS,
    home_for,
)
from models import Role


@dataclass(frozen=True)
class Visit:
    """Who is asking, as a route and its page need it."""

    lang: str
    # The path asked for, where the language switch returns to.
    path: str
    # The CSRF token every form on the page carries.
    csrf: str
    # The session's account (also while only its password was checked), or None.
    visitor: Visitor | None
    # A form cookie made for this request, set on the response by `render`.
    new_form_cookie: str | None = None

    @property
    def signed_in(self) -> bool:
        return self.visitor is not None and not self.visitor.pending

    @property
    def role(self) -> Role | None:
        return self.visitor.role if self.visitor is not None and self.signed_in else None


@dataclass(frozen=True)
class Navigation:
    rounds: bool
    accounts: bool
    home: str
    registry: bool = False
    outbox: bool = False
    regions: bool = False


def _navigation(visit: Visit) -> Navigation | None:
    role = visit.role
    if role is None:
        return None
    return Navigation(
        role in ROUND_READERS,
        role in ACCOUNT_MANAGERS,
        home_for(role),
        registry=role in REGISTRY_KEEPERS,
        outbox=role in ROUND_READERS,
        regions=role in REGION_VIEWERS,
    )


def render(
    ctx: WebContext,
    visit: Visit,
    template: str,
    status_code: int = 200,
    errors: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """`template` (under templates/web/workplace) in the visitor's language. `errors` maps a form
    field's id to what is wrong with it, in that language."""
    html = ctx.app.env.get_template(f"web/workplace/{template}").render(
        lang=visit.lang,
        visit=visit,
        switch=language_switch(visit.lang),
        nav=_navigation(visit),
        errors=list((errors or {}).items()),
        error_fields=dict(errors or {}),
        **context,
    )
    response = HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)
    if visit.new_form_cookie is not None:
        cookies.set_form(response, visit.new_form_cookie, ctx.app.settings.workplace)
    return response


def message(
    ctx: WebContext,
    visit: Visit,
    status_code: int,
    title: str,
    body: str,
    back: tuple[str, str] | None = None,
) -> HTMLResponse:
    """A page that only says something, in words already in the visitor's language; `back` is
    a link (address, text)."""
    return render(ctx, visit, "message.html", status_code, title=title, body=body, back=back)


def _start_page(visit: Visit) -> tuple[str, str] | None:
    if visit.role is None:
        return None
    return home_for(visit.role), gettext("To your start page", visit.lang)


def forbidden(ctx: WebContext, visit: Visit) -> HTMLResponse:
    lang = visit.lang
    return message(
        ctx,
        visit,
        403,
        gettext("No access", lang),
        gettext(
            "Your role does not give access to this page. Ask an administrator if you need it.",
            lang,
        ),
        _start_page(visit),
    )


def form_expired(ctx: WebContext, visit: Visit) -> HTMLResponse:
    lang = visit.lang
    return message(
        ctx,
        visit,
        403,
        pgettext("workplace", "Form expired", lang),
        gettext(
            "For your security we could not process this form: it was not sent from this "
            "workplace, or it is too old. Go back, reload the page and try again.",
            lang,
        ),
    )


def not_found(ctx: WebContext, visit: Visit) -> HTMLResponse:
    lang = visit.lang
    return message(
        ctx,
        visit,
        404,
        pgettext("workplace", "Page not found", lang),
        gettext("There is nothing at this address in the workplace.", lang),
        _start_page(visit),
    )


def too_large(ctx: WebContext, visit: Visit, limit: int) -> HTMLResponse:
    """A file larger than its form takes (the request is refused before it is read)."""
    lang = visit.lang
    return message(
        ctx,
        visit,
        413,
        gettext("The file is too large", lang),
        gettext(
            "A file may be at most %(size)s MB. Go back and choose a smaller file, or split "
            "the registry in parts.",
            lang,
            size=limit // (1024 * 1024),
        ),
        (visit.path, gettext("Back to the form", lang)),
    )


def filtered_address(path: str, query: Mapping[str, str]) -> str:
    """`path` with the filled-in parts of `query` (a list page's filters and page number)."""
    filled = urlencode({k: v for k, v in query.items() if v})
    return path + (f"?{filled}" if filled else "")
