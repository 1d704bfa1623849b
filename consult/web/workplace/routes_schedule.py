"""A round's schedule: the sessions planned now and the last proposal computed (GET, read-only:
the optimiser only runs on the POST that computes a proposal), applying that proposal, and
withdrawing a candidate slot after a confirmation. Staff read; the secretariat and
administrators act."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends
from fastapi.responses import RedirectResponse, Response

from consult.app import schedule_proposals
from consult.app.lifecycle import IllegalTransition
from consult.app.schedule_proposals import ProposalRefused
from consult.i18n import gettext, ngettext, use_language
from consult.web.context import WebContext, web_context
from consult.web.workplace.access import Form, field, requires
from consult.web.workplace.pages import Visit, not_found, render
from consult.web.workplace.roles import PREFIX, ROUND_MANAGERS, ROUND_READERS

router = APIRouter(prefix=PREFIX)
Ctx = Annotated[WebContext, Depends(web_context)]
RoundReader = Annotated[Visit, Depends(requires(*ROUND_READERS))]
RoundManager = Annotated[Visit, Depends(requires(*ROUND_MANAGERS))]

# The counts an applied proposal reports in the page's address (?melding=toegepast&...).
APPLIED_COUNTS = ("nieuw", "geannuleerd", "erbij", "eraf", "verplaatst", "agenda", "niet")


def _id(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) <= 12 else None


def _path(round_id: int) -> str:
    return f"{PREFIX}/rondes/{round_id}/indeling"


def _notice(lang: str, code: str | None, counts: dict[str, int]) -> str | None:
    n = counts.get
    if code == "berekend":
        return gettext(
            "The proposal is computed: %(placed)s of %(people)s people placed. Look it over "
            "below; nothing changes until you apply it.",
            lang,
            placed=n("geplaatst", 0),
            people=n("mensen", 0),
        )
    if code == "toegepast":
        parts = [
            ngettext("%(num)s new session", "%(num)s new sessions", n("nieuw", 0), lang),
            ngettext(
                "%(num)s session cancelled",
                "%(num)s sessions cancelled",
                n("geannuleerd", 0),
                lang,
            ),
            ngettext(
                "%(num)s person given a seat", "%(num)s people given a seat", n("erbij", 0), lang
            ),
            ngettext("%(num)s seat given up", "%(num)s seats given up", n("eraf", 0), lang),
            ngettext(
                "%(num)s person already placed gets a calendar change",
                "%(num)s people already placed get a calendar change",
                n("verplaatst", 0),
                lang,
            ),
            ngettext(
                "%(num)s calendar message queued",
                "%(num)s calendar messages queued",
                n("agenda", 0),
                lang,
            ),
            ngettext("%(num)s person not placed", "%(num)s people not placed", n("niet", 0), lang),
        ]
        return gettext("The proposal is applied: %(summary)s.", lang, summary="; ".join(parts))
    if code == "ingetrokken":
        return gettext(
            "The slot is withdrawn. Compute a new proposal and apply it: that cancels its "
            "sessions and places their people elsewhere where possible.",
            lang,
        )
    if code == "al-ingetrokken":
        return gettext("This slot was withdrawn already.", lang)
    return None


def _page(
    ctx: WebContext,
    visit: Visit,
    round_id: int,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    withdraw: int | None = None,
) -> Response:
    with ctx.reading() as session, use_language(visit.lang):
        page = schedule_proposals.schedule_page(session, ctx.app, round_id, ctx.clock())
    if page is None:
        return not_found(ctx, visit)
    chosen = next((s for s in page.slots if s.id == withdraw and not s.withdrawn), None)
    return render(
        ctx,
        visit,
        "schedule.html",
        status_code,
        errors=errors,
        s=page,
        notice=notice,
        withdraw=chosen,
        can_change=visit.role in ROUND_MANAGERS,
    )


@router.get("/rondes/{round_id}/indeling")
def schedule_page(
    round_id: str,
    ctx: Ctx,
    visit: RoundReader,
    melding: str | None = None,
    intrekken: str = "",
    geplaatst: str = "",
    mensen: str = "",
    nieuw: str = "",
    geannuleerd: str = "",
    erbij: str = "",
    eraf: str = "",
    verplaatst: str = "",
    agenda: str = "",
    niet: str = "",
) -> Response:
    rid = _id(round_id)
    if rid is None:
        return not_found(ctx, visit)
    given = {
        "geplaatst": geplaatst,
        "mensen": mensen,
        "nieuw": nieuw,
        "geannuleerd": geannuleerd,
        "erbij": erbij,
        "eraf": eraf,
        "verplaatst": verplaatst,
        "agenda": agenda,
        "niet": niet,
    }
    counts = {k: v for k, v in ((k, _id(v)) for k, v in given.items()) if v is not None}
    notice = _notice(visit.lang, melding, counts)
    withdraw = _id(intrekken) if visit.role in ROUND_MANAGERS else None
    return _page(ctx, visit, rid, notice=notice, withdraw=withdraw)


@router.post("/rondes/{round_id}/indeling/voorstel")
def compute(round_id: str, ctx: Ctx, visit: RoundManager, form: Form) -> Response:
    rid = _id(round_id)
    if rid is None:
        return not_found(ctx, visit)
    try:
        # The optimiser runs here, in this request's worker thread (a few seconds at most).
        with use_language(visit.lang), ctx.writing() as session:
            done = schedule_proposals.compute(session, ctx.app, rid, ctx.clock())
    except LookupError:
        return not_found(ctx, visit)
    query = f"?melding=berekend&geplaatst={done.placed}&mensen={done.people}"
    return RedirectResponse(_path(rid) + query + "#voorstel", status_code=303)


@router.post("/rondes/{round_id}/indeling/toepassen")
def apply(
    round_id: str, ctx: Ctx, visit: RoundManager, form: Form, background: BackgroundTasks
) -> Response:
    rid = _id(round_id)
    if rid is None:
        return not_found(ctx, visit)
    try:
        with use_language(visit.lang), ctx.writing() as session:
            done = schedule_proposals.apply(session, ctx.app, rid, ctx.clock())
    except LookupError:
        return not_found(ctx, visit)
    except (ProposalRefused, IllegalTransition) as exc:
        return _page(ctx, visit, rid, 409, {"toepassen": str(exc)})
    ctx.after_response(background, done.calendar_messages > 0, [])
    values = (
        done.sessions_created,
        done.sessions_cancelled,
        done.attendees_added,
        done.attendees_removed,
        done.existing_changed,
        done.calendar_messages,
        done.unplaced,
    )
    query = "&".join(f"{k}={v}" for k, v in zip(APPLIED_COUNTS, values, strict=True))
    return RedirectResponse(f"{_path(rid)}?melding=toegepast&{query}", status_code=303)


@router.post("/rondes/{round_id}/indeling/slots/{slot_id}/intrekken")
def withdraw(round_id: str, slot_id: str, ctx: Ctx, visit: RoundManager, form: Form) -> Response:
    rid, sid = _id(round_id), _id(slot_id)
    if rid is None or sid is None:
        return not_found(ctx, visit)
    if field(form, "zeker") != "ja":
        error = gettext("Tick the box to confirm that you withdraw this slot.", visit.lang)
        return _page(ctx, visit, rid, 422, {"zeker": error}, withdraw=sid)
    try:
        with use_language(visit.lang), ctx.writing() as session:
            withdrawn = schedule_proposals.withdraw_slot(session, rid, sid)
    except LookupError:  # also a slot of another round
        return not_found(ctx, visit)
    code = "ingetrokken" if withdrawn else "al-ingetrokken"
    return RedirectResponse(f"{_path(rid)}?melding={code}", status_code=303)
