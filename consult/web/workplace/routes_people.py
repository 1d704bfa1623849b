"""The people of a round: the table (filtered by status, theme, region and sector) and one
invitee's page, which the secretariat and administrators act on: send the invitation again,
remind now, correct the address, withdraw. Staff read."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final

from fastapi import APIRouter, BackgroundTasks, Depends
from fastapi.responses import RedirectResponse, Response

from consult.app import invitations, reminders, withdrawal
from consult.app.people import ActionRefused, Done, PeopleFilter, Remind
from consult.app.people import people_in_round as people_list
from consult.app.people import person_in_round as person_detail
from consult.app.registry import AddressError, correct_invitee_address
from consult.i18n import N_, format_datetime, format_time_range, gettext, ngettext, use_language
from consult.web.context import WebContext, web_context
from consult.web.workplace.access import Form, field, requires
from consult.web.workplace.pages import Visit, filtered_address, not_found, render
from consult.web.workplace.roles import PREFIX, ROUND_MANAGERS, ROUND_READERS

router = APIRouter(prefix=PREFIX)
Ctx = Annotated[WebContext, Depends(web_context)]
RoundReader = Annotated[Visit, Depends(requires(*ROUND_READERS))]
RoundManager = Annotated[Visit, Depends(requires(*ROUND_MANAGERS))]

# What the invitee's page says after an action (?melding=...); `_notice` has those that count
# something (&aantal=...).
NOTICES: Final = {
    "opnieuw": N_("The invitation is sent again, with a new link; the earlier links keep working."),
    "herinnerd": N_("A reminder to answer is on its way."),
    "herinnerd-inbreng": N_("A reminder to hand in input is on its way."),
    "al-gedaan": N_(
        "This was done already (the form was sent twice, or the page was out of date); nothing "
        "more was sent. Look at the mail below."
    ),
    "onderweg": N_(
        "Mail of this kind is still waiting to go to this person (or is held back because "
        "their address is blocked); no second one was added."
    ),
    "adres-gelijk": N_("This was already the address; nothing changed."),
    "al-ingetrokken": N_("The invitation was already withdrawn."),
}


def _id(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) <= 12 else None


def _notice(lang: str, code: str | None, count: str | None) -> str | None:
    if code in NOTICES:
        return gettext(NOTICES[code], lang)
    n = _id(count or "") or 0
    if code == "adres":
        return ngettext(
            "The address is corrected. %(num)s message that had not reached this person goes "
            "to the new address.",
            "The address is corrected. %(num)s messages that had not reached this person go to "
            "the new address.",
            n,
            lang,
        )
    if code == "ingetrokken":
        return ngettext(
            "The invitation is withdrawn: the links no longer work and %(num)s message that "
            "had not left is cancelled.",
            "The invitation is withdrawn: the links no longer work and %(num)s messages that "
            "had not left are cancelled.",
            n,
            lang,
        )
    return None


def _people_url(round_id: int, chosen: PeopleFilter, page: int) -> str:
    query = {
        "status": chosen.status,
        "thema": chosen.theme,
        "regio": chosen.region,
        "sector": chosen.sector,
        "pagina": str(page) if page > 1 else "",
    }
    return filtered_address(f"{PREFIX}/rondes/{round_id}/mensen", query)


@router.get("/rondes/{round_id}/mensen")
def people(
    round_id: str,
    ctx: Ctx,
    visit: RoundReader,
    status: str = "",
    thema: str = "",
    regio: str = "",
    sector: str = "",
    pagina: str = "",
) -> Response:
    rid = _id(round_id)
    if rid is None:
        return not_found(ctx, visit)
    asked = PeopleFilter(status, thema, regio, sector, _id(pagina) or 1)
    with ctx.reading() as session, use_language(visit.lang):
        found = people_list(session, ctx.app.taxonomy, rid, asked)
    if found is None:
        return not_found(ctx, visit)
    page = found.chosen.page
    return render(
        ctx,
        visit,
        "people.html",
        p=found,
        previous=_people_url(rid, found.chosen, page - 1) if page > 1 else None,
        next=_people_url(rid, found.chosen, page + 1) if page < found.pages else None,
        filtered=found.chosen != PeopleFilter(page=page),
    )


def _person_path(round_id: int, invitation_id: int) -> str:
    return f"{PREFIX}/rondes/{round_id}/mensen/{invitation_id}"


def _person_page(
    ctx: WebContext,
    visit: Visit,
    round_id: int,
    invitation_id: int,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    typed_email: str | None = None,
) -> Response:
    lang = visit.lang
    with ctx.reading() as session, use_language(lang):
        found = person_detail(session, ctx.app.taxonomy, round_id, invitation_id, ctx.clock())
    if found is None:
        return not_found(ctx, visit)

    def when(moment: datetime | None) -> str:
        return format_datetime(moment, lang) if moment else "—"

    def span(start: datetime, end: datetime) -> str:
        return format_time_range(start, end, lang)

    return render(
        ctx,
        visit,
        "person.html",
        status_code,
        errors=errors,
        d=found,
        when=when,
        span=span,
        notice=notice,
        can_change=visit.role in ROUND_MANAGERS,
        typed_email=found.email if typed_email is None else typed_email,
        remind_input=found.actions.remind is Remind.INPUT,
    )


@router.get("/rondes/{round_id}/mensen/{invitation_id}")
def person(
    round_id: str,
    invitation_id: str,
    ctx: Ctx,
    visit: RoundReader,
    melding: str | None = None,
    aantal: str | None = None,
) -> Response:
    rid, iid = _id(round_id), _id(invitation_id)
    if rid is None or iid is None:
        return not_found(ctx, visit)
    return _person_page(ctx, visit, rid, iid, notice=_notice(visit.lang, melding, aantal))


def _done(round_id: int, invitation_id: int, code: str, count: int | None = None) -> Response:
    query = f"?melding={code}" + (f"&aantal={count}" if count is not None else "")
    return RedirectResponse(_person_path(round_id, invitation_id) + query, status_code=303)


def _mail_done(done: Done, queued_code: str) -> str:
    return {Done.QUEUED: queued_code, Done.REPEATED: "al-gedaan", Done.WAITING: "onderweg"}[done]


@router.post("/rondes/{round_id}/mensen/{invitation_id}/opnieuw-uitnodigen")
def send_again(
    round_id: str,
    invitation_id: str,
    ctx: Ctx,
    visit: RoundManager,
    form: Form,
    background: BackgroundTasks,
) -> Response:
    rid, iid, earlier = _id(round_id), _id(invitation_id), _id(field(form, "eerder"))
    if rid is None or iid is None:
        return not_found(ctx, visit)
    try:
        with use_language(visit.lang), ctx.writing() as session:
            done = invitations.send_again(session, ctx.app, rid, iid, earlier or 0, ctx.clock())
    except LookupError:
        return not_found(ctx, visit)
    except ActionRefused as exc:
        return _person_page(ctx, visit, rid, iid, 409, {"send-again": str(exc)})
    ctx.after_response(background, done is Done.QUEUED, [])
    return _done(rid, iid, _mail_done(done, "opnieuw"))


@router.post("/rondes/{round_id}/mensen/{invitation_id}/herinneren")
def remind(
    round_id: str,
    invitation_id: str,
    ctx: Ctx,
    visit: RoundManager,
    form: Form,
    background: BackgroundTasks,
) -> Response:
    rid, iid, earlier = _id(round_id), _id(invitation_id), _id(field(form, "eerder"))
    if rid is None or iid is None:
        return not_found(ctx, visit)
    try:
        with use_language(visit.lang), ctx.writing() as session:
            kind, done = reminders.remind_now(session, ctx.app, rid, iid, earlier or 0, ctx.clock())
    except LookupError:
        return not_found(ctx, visit)
    except ActionRefused as exc:
        return _person_page(ctx, visit, rid, iid, 409, {"remind": str(exc)})
    ctx.after_response(background, done is Done.QUEUED, [])
    queued = "herinnerd-inbreng" if kind is Remind.INPUT else "herinnerd"
    return _done(rid, iid, _mail_done(done, queued))


@router.post("/rondes/{round_id}/mensen/{invitation_id}/adres")
def correct(
    round_id: str,
    invitation_id: str,
    ctx: Ctx,
    visit: RoundManager,
    form: Form,
    background: BackgroundTasks,
) -> Response:
    rid, iid = _id(round_id), _id(invitation_id)
    if rid is None or iid is None:
        return not_found(ctx, visit)
    new = field(form, "email").strip()
    lang = visit.lang
    if not new:
        error = gettext("Enter the new email address.", lang)
        return _person_page(ctx, visit, rid, iid, 422, {"email": error}, typed_email=new)
    try:
        with use_language(lang), ctx.writing() as session:
            queued = correct_invitee_address(session, rid, iid, new)
    except LookupError:
        return not_found(ctx, visit)
    except (AddressError, ActionRefused) as exc:
        return _person_page(ctx, visit, rid, iid, 422, {"email": str(exc)}, typed_email=new)
    if queued is None:
        return _done(rid, iid, "adres-gelijk")
    ctx.after_response(background, queued > 0, [])
    return _done(rid, iid, "adres", queued)


@router.post("/rondes/{round_id}/mensen/{invitation_id}/intrekken")
def withdraw(
    round_id: str,
    invitation_id: str,
    ctx: Ctx,
    visit: RoundManager,
    form: Form,
    background: BackgroundTasks,
) -> Response:
    rid, iid = _id(round_id), _id(invitation_id)
    if rid is None or iid is None or visit.visitor is None:
        return not_found(ctx, visit)
    if field(form, "zeker") != "ja":
        error = gettext("Tick the box to confirm that you withdraw the invitation.", visit.lang)
        return _person_page(ctx, visit, rid, iid, 422, {"zeker": error})
    try:
        with use_language(visit.lang), ctx.writing() as session:
            done = withdrawal.withdraw(session, rid, iid, visit.visitor.account_id, ctx.clock())
    except LookupError:
        return not_found(ctx, visit)
    except ActionRefused as exc:
        return _person_page(ctx, visit, rid, iid, 409, {"zeker": str(exc)})
    if not done.changed:
        return _done(rid, iid, "al-ingetrokken")
    ctx.after_response(background, False, [done.signal] if done.signal else [])
    return _done(rid, iid, "ingetrokken", done.cancelled_mail)
