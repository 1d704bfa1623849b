"""Outgoing mail, of all rounds or one: messages per state, the messages in one state with
the mail server's reply, and the blocked addresses. The secretariat and administrators queue
failed mail again and release a blocked address; staff read."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, BackgroundTasks, Depends
from fastapi.responses import RedirectResponse, Response

from consult.app import outbox
from consult.app.outgoing import outgoing_page
from consult.i18n import format_datetime, gettext, ngettext, use_language
from consult.web.context import WebContext, web_context
from consult.web.workplace.access import Form, field, requires
from consult.web.workplace.pages import Visit, not_found, render
from consult.web.workplace.roles import OUTBOX_PATH, PREFIX, ROUND_MANAGERS, ROUND_READERS

router = APIRouter(prefix=PREFIX)
Ctx = Annotated[WebContext, Depends(web_context)]
RoundReader = Annotated[Visit, Depends(requires(*ROUND_READERS))]
RoundManager = Annotated[Visit, Depends(requires(*ROUND_MANAGERS))]


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) <= 12 else None


def _url(round_id: int | None, state: str = "", page: int = 1, **notice: int | str) -> str:
    query: dict[str, str | int] = {}
    if round_id is not None:
        query["ronde"] = round_id
    if state:
        query["staat"] = state
    if page > 1:
        query["pagina"] = page
    query.update(notice)
    return OUTBOX_PATH + (f"?{urlencode(query)}" if query else "")


def _notice(lang: str, melding: str | None, aantal: int, vast: int) -> str | None:
    if melding == "opnieuw":
        said = ngettext(
            "%(num)s failed message is queued again.",
            "%(num)s failed messages are queued again.",
            aantal,
            lang,
        )
        if vast:
            said += " " + ngettext(
                "%(num)s message stays failed: its address is blocked. Correct the address on "
                "the person's page, or release it below.",
                "%(num)s messages stay failed: their addresses are blocked. Correct an address "
                "on the person's page, or release it below.",
                vast,
                lang,
            )
        return said
    if melding == "vrijgegeven":
        return ngettext(
            "The address is released; %(num)s message to it is queued again.",
            "The address is released; %(num)s messages to it are queued again.",
            aantal,
            lang,
        )
    return None


def _page(
    ctx: WebContext,
    visit: Visit,
    round_id: int | None,
    state: str = "",
    page: int = 1,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
) -> Response:
    lang = visit.lang
    with ctx.reading() as session, use_language(lang):
        found = outgoing_page(session, round_id, state, page)
    if found is None:
        return not_found(ctx, visit)

    def when(moment: datetime | None) -> str:
        return format_datetime(moment, lang) if moment else "—"

    return render(
        ctx,
        visit,
        "outbox.html",
        status_code,
        errors=errors,
        o=found,
        when=when,
        notice=notice,
        can_change=visit.role in ROUND_MANAGERS,
        state_url=lambda s: _url(round_id, s),
        previous=_url(round_id, found.state, found.page - 1) if found.page > 1 else None,
        next=_url(round_id, found.state, found.page + 1) if found.page < found.pages else None,
    )


@router.get("/uitgaand")
def outgoing(
    ctx: Ctx,
    visit: RoundReader,
    ronde: str | None = None,
    staat: str = "",
    pagina: str | None = None,
    melding: str | None = None,
    aantal: str | None = None,
    vast: str | None = None,
) -> Response:
    round_id = _number(ronde)
    if ronde and round_id is None:
        return not_found(ctx, visit)
    notice = _notice(visit.lang, melding, _number(aantal) or 0, _number(vast) or 0)
    return _page(ctx, visit, round_id, staat, _number(pagina) or 1, notice=notice)


@router.post("/uitgaand/opnieuw")
def retry(ctx: Ctx, visit: RoundManager, form: Form, background: BackgroundTasks) -> Response:
    chosen = field(form, "ronde")
    round_id = _number(chosen)
    if chosen and round_id is None:
        return not_found(ctx, visit)
    with ctx.writing() as session:
        queued, blocked = outbox.retry_failed(session, round_id)
    ctx.after_response(background, queued > 0, [])
    return RedirectResponse(
        _url(round_id, melding="opnieuw", aantal=queued, vast=blocked), status_code=303
    )


@router.post("/uitgaand/vrijgeven")
def release(ctx: Ctx, visit: RoundManager, form: Form, background: BackgroundTasks) -> Response:
    chosen = field(form, "ronde")
    round_id = _number(chosen)
    if chosen and round_id is None:
        return not_found(ctx, visit)
    address = field(form, "email").strip()
    try:
        with use_language(visit.lang), ctx.writing() as session:
            queued = outbox.release(session, address)
    except outbox.UnknownSuppression as exc:
        error = gettext(
            "%(reason)s. Reload the page to see the blocked addresses now.",
            visit.lang,
            reason=str(exc),
        )
        return _page(ctx, visit, round_id, status_code=409, errors={"blocked": error})
    ctx.after_response(background, queued > 0, [])
    return RedirectResponse(_url(round_id, melding="vrijgegeven", aantal=queued), status_code=303)
