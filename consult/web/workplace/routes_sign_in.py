"""Signing in (password, then the code from an authenticator app), signing out, a new password
through a link by email, and the language switch.

A refused sign-in always says the same, so the page does not tell which addresses have an
account; asking for a reset link says the same whether or not a mail goes out.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import RedirectResponse, Response

from consult.app import accounts
from consult.app.accounts import AccountError, ResetRefused
from consult.i18n import N_, gettext
from consult.web.context import WebContext, web_context
from consult.web.workplace import cookies
from consult.web.workplace.access import ANYONE, PENDING, Form, field
from consult.web.workplace.pages import Visit, message, render
from consult.web.workplace.roles import CODE_PATH, PREFIX, SIGN_IN_PATH, home_for

router = APIRouter(prefix=PREFIX)
Ctx = Annotated[WebContext, Depends(web_context)]
Anyone = Annotated[Visit, Depends(ANYONE)]
Pending = Annotated[Visit, Depends(PENDING)]

# A reset token as new_token makes it (43 characters); anything else is not looked up.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{22,128}")
# What the sign-in page says after ?melding=...
NOTICES = {
    "afgemeld": N_("You are signed out."),
    "verlopen": N_("Your session has ended because you were inactive for a while. Sign in again."),
    "opnieuw": N_("Signing in did not succeed. Please start again."),
    "wachtwoord": N_("Your new password is saved. Sign in with it."),
}
REFUSED = N_(
    "Signing in did not succeed. Check your email address and password. After several failed "
    "attempts, signing in is blocked for a while."
)


def _see(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _sign_in_page(
    ctx: WebContext,
    visit: Visit,
    email: str = "",
    errors: dict[str, str] | None = None,
    notice: str | None = None,
) -> Response:
    return render(
        ctx,
        visit,
        "sign_in.html",
        400 if errors else 200,
        errors=errors,
        email=email,
        notice=notice,
    )


@router.get("/aanmelden")
def sign_in_page(ctx: Ctx, visit: Anyone, melding: str | None = None) -> Response:
    if visit.role is not None:
        return _see(home_for(visit.role))
    notice = gettext(NOTICES[melding], visit.lang) if melding in NOTICES else None
    return _sign_in_page(ctx, visit, notice=notice)


@router.post("/aanmelden")
def sign_in(ctx: Ctx, visit: Anyone, form: Form) -> Response:
    email, password = field(form, "email").strip(), field(form, "password")
    lang = visit.lang
    if not email or not password:
        errors = {}
        if not email:
            errors["email"] = gettext("Enter your email address.", lang)
        if not password:
            errors["password"] = gettext("Enter your password.", lang)
        return _sign_in_page(ctx, visit, email, errors)
    with ctx.writing() as session:
        token = accounts.sign_in_password(session, ctx.app, email, password, ctx.clock())
    if token is None:
        return _sign_in_page(ctx, visit, email, {"email": gettext(REFUSED, lang)})
    response = _see(CODE_PATH)
    cookies.set_session(response, token, ctx.app.settings.workplace)
    return response


@router.get("/aanmelden/code")
def code_page(ctx: Ctx, visit: Pending) -> Response:
    return render(ctx, visit, "code.html")


@router.post("/aanmelden/code")
def sign_in_code(ctx: Ctx, visit: Pending, form: Form, request: Request) -> Response:
    pending = request.cookies.get(cookies.SESSION_COOKIE, "")
    now = ctx.clock()
    with ctx.writing() as session:
        token = accounts.sign_in_code(session, ctx.app, pending, field(form, "code"), now)
    settings = ctx.app.settings.workplace
    if token is not None and visit.visitor is not None:
        response = _see(home_for(visit.visitor.role))
        cookies.set_session(response, token, settings)
        return response
    with ctx.reading() as session:
        still = accounts.visitor(session, ctx.app, pending, now)
    if still is None or not still.pending:
        # Locked out by this attempt: the half-open session has ended.
        response = _see(f"{SIGN_IN_PATH}?melding=opnieuw")
        cookies.clear_session(response, settings)
        return response
    error = gettext(
        "This code is not right (any more). Type the code your app shows now; a code works once.",
        visit.lang,
    )
    return render(ctx, visit, "code.html", 400, errors={"code": error})


@router.post("/afmelden")
def sign_out(ctx: Ctx, visit: Anyone, request: Request) -> Response:
    token = request.cookies.get(cookies.SESSION_COOKIE)
    if token:
        with ctx.writing() as session:
            accounts.sign_out(session, token)
    response = _see(f"{SIGN_IN_PATH}?melding=afgemeld")
    cookies.clear_session(response, ctx.app.settings.workplace)
    return response


@router.get("/wachtwoord-vergeten")
def reset_request_page(ctx: Ctx, visit: Anyone) -> Response:
    return render(ctx, visit, "reset_request.html", email="")


@router.post("/wachtwoord-vergeten")
def reset_request(ctx: Ctx, visit: Anyone, form: Form, background: BackgroundTasks) -> Response:
    email = field(form, "email").strip()
    lang = visit.lang
    if not email:
        errors = {"email": gettext("Enter your email address.", lang)}
        return render(ctx, visit, "reset_request.html", 400, errors=errors, email=email)
    with ctx.writing() as session:
        queued = accounts.request_password_reset(session, ctx.app, email, ctx.clock())
    ctx.after_response(background, queued, [])
    return message(
        ctx,
        visit,
        200,
        gettext("Check your email", lang),
        gettext(
            "If there is an active account with this address, we have sent it a link to choose "
            "a new password. The link works for a limited time. No email after a few minutes? "
            "Look in your spam folder, or ask an administrator.",
            lang,
        ),
        (SIGN_IN_PATH, gettext("Back to signing in", lang)),
    )


def _link_refused(ctx: WebContext, visit: Visit, reason: str) -> Response:
    lang = visit.lang
    return message(
        ctx,
        visit,
        404,
        gettext("This link does not work", lang),
        reason,
        (f"{PREFIX}/wachtwoord-vergeten", gettext("Ask for a new link", lang)),
    )


def _reset_form(
    ctx: WebContext, visit: Visit, token: str, status_code: int = 200, **errors: str
) -> Response:
    return render(
        ctx,
        visit,
        "reset_set.html",
        status_code,
        errors=errors,
        action=f"{PREFIX}/wachtwoord/{token}",
        min_length=ctx.app.settings.workplace.min_password_length,
    )


@router.get("/wachtwoord/{token}")
def reset_page(token: str, ctx: Ctx, visit: Anyone) -> Response:
    try:
        if not _TOKEN_SHAPE.fullmatch(token):
            raise ResetRefused(accounts.reset_link_unusable())
        with ctx.reading() as session:
            accounts.check_reset_link(session, token, ctx.clock())
    except ResetRefused as exc:
        return _link_refused(ctx, visit, str(exc))
    return _reset_form(ctx, visit, token)


@router.post("/wachtwoord/{token}")
def reset_password(token: str, ctx: Ctx, visit: Anyone, form: Form) -> Response:
    password, repeat = field(form, "password"), field(form, "repeat")
    if password != repeat:
        error = gettext("The two passwords are not the same.", visit.lang)
        return _reset_form(ctx, visit, token, 422, repeat=error)
    try:
        if not _TOKEN_SHAPE.fullmatch(token):
            raise ResetRefused(accounts.reset_link_unusable())
        with ctx.writing() as session:
            accounts.reset_password(session, ctx.app, token, password, ctx.clock())
    except ResetRefused as exc:
        return _link_refused(ctx, visit, str(exc))
    except AccountError as exc:
        return _reset_form(ctx, visit, token, 422, password=str(exc))
    return _see(f"{SIGN_IN_PATH}?melding=wachtwoord")


def _local(path: str) -> str:
    """`path` when it is a workplace page of this site, else the workplace's start; a form
    must not send anyone elsewhere."""
    if path.startswith(f"{PREFIX}/") and "//" not in path and "\\" not in path:
        return path
    return f"{PREFIX}/"


@router.post("/taal")
def switch_language(ctx: Ctx, visit: Anyone, form: Form) -> Response:
    language = field(form, "language")
    response = _see(_local(field(form, "next")))
    if language in ("nl", "en"):
        cookies.set_language(response, language, ctx.app.settings.workplace)
        if visit.visitor is not None:
            # Remembered on the account too: its emails speak it.
            with ctx.writing() as session:
                accounts.set_language(session, visit.visitor.account_id, language)
    return response
