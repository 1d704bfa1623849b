"""The rounds: the list, and one round's dashboard. Read-only pages for the secretariat,
staff and administrators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from consult.app.dashboard import round_dashboard, rounds_overview
from consult.app.status import step_when, unplaced_warning
from consult.i18n import format_datetime, use_language
from consult.web.context import WebContext, web_context
from consult.web.workplace.access import requires
from consult.web.workplace.pages import Visit, not_found, render
from consult.web.workplace.roles import PREFIX, ROUND_READERS

router = APIRouter(prefix=PREFIX)
Ctx = Annotated[WebContext, Depends(web_context)]
RoundReader = Annotated[Visit, Depends(requires(*ROUND_READERS))]


@router.get("/")
def rounds(ctx: Ctx, visit: RoundReader) -> Response:
    lang = visit.lang
    with ctx.reading() as session, use_language(lang):
        rows = [
            {
                "id": r.id,
                "slug": r.slug,
                "name": r.name,
                "status": r.status,
                "answer_deadline": format_datetime(r.answer_deadline, lang),
                "invited": r.invited,
                "answered": r.answered,
                "accepted": r.accepted,
            }
            for r in rounds_overview(session)
        ]
    return render(ctx, visit, "rounds.html", rounds=rows)


@router.get("/rondes/{round_id}")
def round_page(round_id: str, ctx: Ctx, visit: RoundReader) -> Response:
    lang = visit.lang
    if not round_id.isdigit() or len(round_id) > 12:
        return not_found(ctx, visit)
    with ctx.reading() as session, use_language(lang):
        dashboard = round_dashboard(
            session, int(round_id), ctx.clock(), ctx.app.settings.mail.require_approval
        )
        if dashboard is None:
            return not_found(ctx, visit)
        steps = [(step_when(s), s.what) for s in dashboard.view.next_steps]
        unplaced = unplaced_warning(dashboard.view)
    oldest = dashboard.outbox.oldest_pending
    return render(
        ctx,
        visit,
        "round.html",
        d=dashboard,
        answer_deadline=format_datetime(dashboard.answer_deadline, lang),
        input_deadline=format_datetime(dashboard.input_deadline, lang),
        steps=steps,
        unplaced=unplaced,
        oldest_pending=format_datetime(oldest, lang) if oldest else None,
    )
