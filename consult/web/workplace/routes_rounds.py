"""The rounds: the list, and one round's dashboard. Read-only pages for the secretariat,
staff and administrators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from consult.app.dashboard import participation, round_dashboard, rounds_overview
from consult.app.people import sector_names
from consult.app.session_notes import round_sessions
from consult.app.status import step_when, unplaced_warning
from consult.i18n import format_datetime, gettext, ngettext, use_language
from consult.web.context import WebContext, web_context
from consult.web.workplace.access import requires
from consult.web.workplace.pages import Visit, not_found, render
from consult.web.workplace.roles import NOTE_TAKERS, PREFIX, ROUND_MANAGERS, ROUND_READERS

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
    return render(ctx, visit, "rounds.html", rounds=rows, can_launch=visit.role in ROUND_MANAGERS)


def _notice(lang: str, melding: str | None, aantal: str | None) -> str | None:
    if melding != "gestart":
        return None
    invited = int(aantal) if aantal and aantal.isdigit() and len(aantal) <= 9 else 0
    return " ".join(
        (
            gettext("The round is launched.", lang),
            ngettext(
                "%(num)s person is invited; see below when the invitation goes out.",
                "%(num)s people are invited; see below when the invitations go out.",
                invited,
                lang,
            ),
        )
    )


@router.get("/rondes/{round_id}")
def round_page(
    round_id: str,
    ctx: Ctx,
    visit: RoundReader,
    melding: str | None = None,
    aantal: str | None = None,
) -> Response:
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
        taking_part = participation(session, dashboard.id, sector_names(ctx.app.taxonomy))
        sessions = [
            (s, format_datetime(s.start, lang)) for s in round_sessions(session, int(round_id))
        ]
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
        taking_part=taking_part,
        oldest_pending=format_datetime(oldest, lang) if oldest else None,
        notice=_notice(lang, melding, aantal),
        sessions=sessions,
        take_notes=visit.role in NOTE_TAKERS,
    )
