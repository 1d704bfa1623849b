"""Notes taken during a session, for the secretariat and staff who facilitate it: a form to
write down what is said (or a lesson learned) with the speaker's sector, region and quote
permission, and the notes so far. A small script keeps the draft in the browser; the page
works the same without it."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, BackgroundTasks, Depends
from fastapi.responses import RedirectResponse, Response

from consult.app import session_notes
from consult.app.lifecycle import IllegalTransition
from consult.app.session_notes import NoteError, NoteFields
from consult.i18n import format_datetime, gettext, use_language
from consult.web.context import WebContext, web_context
from consult.web.workplace.access import Form, field, requires
from consult.web.workplace.pages import Visit, message, not_found, render
from consult.web.workplace.roles import NOTE_TAKERS, PREFIX

router = APIRouter(prefix=PREFIX)
Ctx = Annotated[WebContext, Depends(web_context)]
NoteTaker = Annotated[Visit, Depends(requires(*NOTE_TAKERS))]

# The workplace's policy (consult.web.app) and one script of our own: this page's draft keeper.
SCRIPT_POLICY: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
EMPTY: Final = NoteFields("session_note", "", "", "", "role_only")


def _id(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) <= 12 else None


def _page(
    ctx: WebContext,
    visit: Visit,
    session_id: int,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    typed: NoteFields = EMPTY,
    saved: bool = False,
) -> Response:
    lang = visit.lang
    with ctx.reading() as session, use_language(lang):
        page = session_notes.notes_page(session, ctx.app.taxonomy, session_id)
    if page is None:
        return not_found(ctx, visit)
    response = render(
        ctx,
        visit,
        "session_notes.html",
        status_code,
        errors=errors,
        p=page,
        typed=typed,
        saved=saved,
        notice=gettext("The note is saved.", lang) if saved else None,
        when=format_datetime(page.session.start, lang),
        times={n.id: format_datetime(n.at, lang) for n in page.notes},
    )
    response.headers["content-security-policy"] = SCRIPT_POLICY
    return response


@router.get("/sessies/{session_id}/notities")
def notes(session_id: str, ctx: Ctx, visit: NoteTaker, melding: str = "") -> Response:
    sid = _id(session_id)
    if sid is None:
        return not_found(ctx, visit)
    return _page(ctx, visit, sid, saved=melding == "opgeslagen")


@router.post("/sessies/{session_id}/notities")
def add_note(
    session_id: str, ctx: Ctx, visit: NoteTaker, form: Form, background: BackgroundTasks
) -> Response:
    sid = _id(session_id)
    if sid is None:
        return not_found(ctx, visit)
    typed = NoteFields(
        field(form, "kind"),
        field(form, "text"),
        field(form, "sector"),
        field(form, "region"),
        field(form, "permission"),
    )
    try:
        with use_language(visit.lang), ctx.writing() as session:
            _note_id, signal = session_notes.add_note(
                session, ctx.app.taxonomy, sid, typed, visit.lang, ctx.clock()
            )
    except LookupError:
        return not_found(ctx, visit)
    except NoteError as exc:
        return _page(ctx, visit, sid, 422, exc.errors, typed)
    except IllegalTransition as exc:
        return message(ctx, visit, 409, gettext("The round is closed", visit.lang), str(exc))
    ctx.after_response(background, False, [signal])
    return RedirectResponse(
        f"{PREFIX}/sessies/{sid}/notities?melding=opgeslagen#notes", status_code=303
    )
