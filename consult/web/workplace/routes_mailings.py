"""A round's mailings: how many people each one reaches, whether it is held for approval or
approved (by whom, when), a preview of the messages as their recipients get them (Dutch and
English), and approving one. The secretariat and administrators approve; staff read."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final

from fastapi import APIRouter, BackgroundTasks, Depends
from fastapi.responses import RedirectResponse, Response

from consult.app import mailings
from consult.i18n import N_, format_datetime, gettext, use_language
from consult.web.context import WebContext, web_context
from consult.web.workplace.access import Form, requires
from consult.web.workplace.pages import Visit, message, not_found, render
from consult.web.workplace.roles import PREFIX, ROUND_MANAGERS, ROUND_READERS
from models import OutboxKind

router = APIRouter(prefix=PREFIX)
Ctx = Annotated[WebContext, Depends(web_context)]
RoundReader = Annotated[Visit, Depends(requires(*ROUND_READERS))]
RoundManager = Annotated[Visit, Depends(requires(*ROUND_MANAGERS))]

LANGUAGE_NAMES: Final = {"nl": "Nederlands", "en": "English"}
# What the mailing's page says after approving (?melding=...).
NOTICES: Final = {
    "goedgekeurd": N_("The mailing is approved: its messages go with the next sending."),
    "al-goedgekeurd": N_("This mailing was already approved; nothing changed."),
}


def _id(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) <= 12 else None


def _kind(value: str) -> OutboxKind | None:
    try:
        return mailings.mailing_kind(value)
    except mailings.UnknownMailing:
        return None


def _mailing_url(round_id: int, kind: OutboxKind) -> str:
    return f"{PREFIX}/rondes/{round_id}/mailings/{kind.value}"


@router.get("/rondes/{round_id}/mailings")
def mailings_page(round_id: str, ctx: Ctx, visit: RoundReader) -> Response:
    lang = visit.lang
    rid = _id(round_id)
    if rid is None:
        return not_found(ctx, visit)
    with ctx.reading() as session, use_language(lang):
        found = mailings.round_mailings(session, rid, ctx.app.settings.mail.require_approval)
    if found is None:
        return not_found(ctx, visit)

    def when(moment: datetime) -> str:
        return format_datetime(moment, lang)

    return render(
        ctx,
        visit,
        "mailings.html",
        r=found,
        when=when,
        url=lambda kind: _mailing_url(rid, kind),
    )


def _preview_page(
    ctx: WebContext,
    visit: Visit,
    round_id: int,
    kind: OutboxKind,
    status_code: int = 200,
    notice: str | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    lang = visit.lang
    with ctx.reading() as session, use_language(lang):
        found = mailings.preview(session, round_id, kind, ctx.app.settings.mail.require_approval)
    if found is None:
        return not_found(ctx, visit)
    return render(
        ctx,
        visit,
        "mailing.html",
        status_code,
        errors=errors,
        p=found,
        m=found.mailing,
        notice=notice,
        when=lambda moment: format_datetime(moment, lang),
        language_names=LANGUAGE_NAMES,
        can_approve=visit.role in ROUND_MANAGERS,
        action=_mailing_url(round_id, kind) + "/goedkeuren",
    )


@router.get("/rondes/{round_id}/mailings/{kind}")
def mailing_page(
    round_id: str, kind: str, ctx: Ctx, visit: RoundReader, melding: str | None = None
) -> Response:
    rid, chosen = _id(round_id), _kind(kind)
    if rid is None or chosen is None:
        return not_found(ctx, visit)
    notice = gettext(NOTICES[melding], visit.lang) if melding in NOTICES else None
    return _preview_page(ctx, visit, rid, chosen, notice=notice)


@router.post("/rondes/{round_id}/mailings/{kind}/goedkeuren")
def approve(
    round_id: str,
    kind: str,
    ctx: Ctx,
    visit: RoundManager,
    form: Form,
    background: BackgroundTasks,
) -> Response:
    rid, chosen = _id(round_id), _kind(kind)
    if rid is None or chosen is None or visit.visitor is None:
        return not_found(ctx, visit)
    account = visit.visitor
    try:
        with use_language(visit.lang), ctx.writing() as session:
            done = mailings.approve(
                session, rid, chosen, account.email, account.account_id, ctx.clock()
            )
    except LookupError:
        return not_found(ctx, visit)
    except mailings.NothingWaiting as exc:
        return message(
            ctx,
            visit,
            409,
            gettext("Nothing to approve", visit.lang),
            str(exc),
            back=(_mailing_url(rid, chosen), gettext("Back to the mailing", visit.lang)),
        )
    ctx.after_response(background, done.new, [])
    code = "goedgekeurd" if done.new else "al-goedgekeurd"
    return RedirectResponse(f"{_mailing_url(rid, chosen)}?melding={code}", status_code=303)
