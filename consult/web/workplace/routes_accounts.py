"""Accounts: administrators list, add and disable them; everyone sees their own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse, Response

from consult.accounts.roles import role_label
from consult.app import accounts
from consult.app.accounts import AccountError, AccountRow
from consult.i18n import N_, format_datetime, gettext, use_language
from consult.web.context import WebContext, web_context
from consult.web.workplace.access import Form, field, fields, requires
from consult.web.workplace.pages import Visit, not_found, render
from consult.web.workplace.roles import ACCOUNT_MANAGERS, ACCOUNTS_PATH, ALL_ROLES, PREFIX
from models import Role

router = APIRouter(prefix=PREFIX)
Ctx = Annotated[WebContext, Depends(web_context)]
AccountManager = Annotated[Visit, Depends(requires(*ACCOUNT_MANAGERS))]
SignedIn = Annotated[Visit, Depends(requires(*ALL_ROLES))]

NOTICES = {"uitgeschakeld": N_("The account is disabled; its sessions have ended.")}


def _state(row: AccountRow, lang: str) -> str:
    if not row.active:
        return gettext("disabled", lang)
    if row.locked_until is not None:
        return gettext(
            "active (blocked until %(time)s after failed attempts)",
            lang,
            time=format_datetime(row.locked_until, lang),
        )
    return gettext("active", lang)


def _accounts_page(
    ctx: WebContext,
    visit: Visit,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    typed: dict[str, object] | None = None,
    notice: str | None = None,
) -> Response:
    lang = visit.lang
    me = visit.visitor.account_id if visit.visitor else None
    with ctx.reading() as session, use_language(lang):
        rows = [
            {
                "id": a.id,
                "email": a.email,
                "name": a.name,
                "role": role_label(a.role),
                "regions": ", ".join(a.regions),
                "state": _state(a, lang),
                "last_sign_in": format_datetime(a.last_sign_in_at, lang)
                if a.last_sign_in_at
                else None,
                "can_disable": a.active and a.id != me,
            }
            for a in accounts.list_accounts(session)
        ]
        roles = [(role.value, role_label(role)) for role in Role]
    return render(
        ctx,
        visit,
        "accounts.html",
        status_code,
        errors=errors,
        accounts=rows,
        roles=roles,
        regions=ctx.app.taxonomy.region_names,
        typed=typed or {"email": "", "name": "", "role": Role.SECRETARIAAT.value, "regions": []},
        notice=notice,
    )


@router.get("/accounts")
def accounts_page(ctx: Ctx, visit: AccountManager, melding: str | None = None) -> Response:
    notice = gettext(NOTICES[melding], visit.lang) if melding in NOTICES else None
    return _accounts_page(ctx, visit, notice=notice)


@router.post("/accounts")
def add_account(ctx: Ctx, visit: AccountManager, form: Form) -> Response:
    typed: dict[str, object] = {
        "email": field(form, "email").strip(),
        "name": field(form, "name").strip(),
        "role": field(form, "role"),
        "regions": fields(form, "region"),
    }
    lang = visit.lang
    if typed["role"] not in {role.value for role in Role}:
        errors = {"role": gettext("Choose a role from the list.", lang)}
        return _accounts_page(ctx, visit, 422, errors, typed)
    try:
        with use_language(lang), ctx.writing() as session:
            made = accounts.add_account(
                session,
                ctx.app,
                str(typed["email"]),
                Role(str(typed["role"])),
                name=str(typed["name"]) or None,
                regions=fields(form, "region"),
            )
    except AccountError as exc:
        return _accounts_page(ctx, visit, 422, {exc.field: str(exc)}, typed)
    return render(
        ctx,
        visit,
        "credentials.html",
        email=made.email,
        password=made.password,
        totp_secret=made.totp_secret,
        totp_uri=made.totp_uri,
    )


@router.post("/accounts/{account_id}/uitschakelen")
def disable_account(account_id: str, ctx: Ctx, visit: AccountManager) -> Response:
    if not account_id.isdigit() or len(account_id) > 12 or visit.visitor is None:
        return not_found(ctx, visit)
    try:
        with use_language(visit.lang), ctx.writing() as session:
            accounts.disable_account_by_id(session, int(account_id), visit.visitor.account_id)
    except AccountError:
        return not_found(ctx, visit)
    return RedirectResponse(f"{ACCOUNTS_PATH}?melding=uitgeschakeld", status_code=303)


@router.get("/account")
def own_account(ctx: Ctx, visit: SignedIn) -> Response:
    assert visit.visitor is not None  # the guard lets only signed-in visitors in
    with ctx.reading() as session, use_language(visit.lang):
        row = accounts.account_details(session, visit.visitor.account_id)
        role = role_label(row.role)
    return render(ctx, visit, "account.html", role=role, regions=", ".join(row.regions))
