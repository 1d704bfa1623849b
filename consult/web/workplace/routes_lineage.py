"""Lineage, one click each way: a building block → its quotes and contributions → the session
a contribution came from → the round; and from a contribution to every block and report it is
in. And the round's reports: the files per language and kind, their downloads, and writing them
again. Pages for the secretariat, staff and administrators; the pages only read."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse, Response

from consult.app import lineage, reports
from consult.app.reports import format_label
from consult.i18n import N_, format_datetime, format_time_range, gettext, use_language
from consult.web.context import WebContext, web_context
from consult.web.workplace.access import Form, field, requires
from consult.web.workplace.pages import Visit, not_found, render
from consult.web.workplace.roles import PREFIX, ROUND_READERS
from models import Role

router = APIRouter(prefix=PREFIX)
Ctx = Annotated[WebContext, Depends(web_context)]
RoundReader = Annotated[Visit, Depends(requires(*ROUND_READERS))]

# Who may ask to see the text of a not-quotable contribution on its own page: staff, who weigh
# it when they review blocks. Never on a list, a block page or in a report.
MAY_READ_NOT_QUOTABLE: Final = frozenset({Role.STAF})

MEDIA_TYPES: Final = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
}

NOTICES: Final = {
    "geschreven": N_("The report is written; its files are listed below."),
}


def _id(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) <= 12 else None


@router.get("/bouwstenen/{block_id}")
def block_page(block_id: str, ctx: Ctx, visit: RoundReader) -> Response:
    bid = _id(block_id)
    if bid is None:
        return not_found(ctx, visit)
    lang = visit.lang
    with ctx.reading() as session, use_language(lang):
        found = lineage.block_lineage(session, ctx.app.taxonomy, bid)
    if found is None:
        return not_found(ctx, visit)
    return render(
        ctx, visit, "lineage_block.html", b=found, when=lambda m: format_datetime(m, lang)
    )


@router.get("/bijdragen/{contribution_id}")
def contribution_page(
    contribution_id: str, ctx: Ctx, visit: RoundReader, tekst: str = ""
) -> Response:
    cid = _id(contribution_id)
    if cid is None:
        return not_found(ctx, visit)
    lang = visit.lang
    may_reveal = visit.role in MAY_READ_NOT_QUOTABLE
    reveal = may_reveal and tekst == "tonen"
    with ctx.reading() as session, use_language(lang):
        found = lineage.contribution_lineage(session, ctx.app, cid, reveal_not_quotable=reveal)
    if found is None:
        return not_found(ctx, visit)
    return render(
        ctx,
        visit,
        "lineage_contribution.html",
        c=found,
        may_reveal=may_reveal and not reveal,
        revealed=reveal and found.not_quotable,
        when=lambda m: format_datetime(m, lang),
        format_label=lambda f: format_label(f),
        language_name=_language_name,
    )


@router.get("/sessies/{session_id}")
def session_page(session_id: str, ctx: Ctx, visit: RoundReader) -> Response:
    sid = _id(session_id)
    if sid is None:
        return not_found(ctx, visit)
    lang = visit.lang
    with ctx.reading() as session, use_language(lang):
        found = lineage.session_lineage(session, ctx.app.taxonomy, sid)
    if found is None:
        return not_found(ctx, visit)
    return render(
        ctx,
        visit,
        "lineage_session.html",
        s=found,
        span=format_time_range(found.start, found.end, lang),
    )


def _language_name(code: str) -> str:
    names = {"nl": gettext("Dutch"), "en": gettext("English")}
    return names.get(code, code)


def _reports_page(
    ctx: WebContext,
    visit: Visit,
    round_id: int,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
) -> Response:
    lang = visit.lang
    with ctx.reading() as session, use_language(lang):
        found = reports.written_reports(ctx.app, session, round_id)
        round_name = lineage.round_name(session, round_id)
        labels = {f: format_label(f) for f in reports.FORMATS}
    if found is None or round_name is None:
        return not_found(ctx, visit)
    return render(
        ctx,
        visit,
        "reports.html",
        status_code,
        errors=errors,
        round_id=round_id,
        round_name=round_name,
        written=found,
        labels=labels,
        notice=notice,
        when=lambda m: format_datetime(m, lang),
        language_name=_language_name,
    )


@router.get("/rondes/{round_id}/rapporten")
def reports_page(round_id: str, ctx: Ctx, visit: RoundReader, melding: str = "") -> Response:
    rid = _id(round_id)
    if rid is None:
        return not_found(ctx, visit)
    notice = gettext(NOTICES[melding], visit.lang) if melding in NOTICES else None
    return _reports_page(ctx, visit, rid, notice=notice)


@router.get("/rondes/{round_id}/rapporten/{filename}")
def report_download(round_id: str, filename: str, ctx: Ctx, visit: RoundReader) -> Response:
    rid = _id(round_id)
    if rid is None:
        return not_found(ctx, visit)
    with ctx.reading() as session:
        path = reports.report_file(ctx.app, session, rid, filename)
    if path is None:
        return not_found(ctx, visit)
    fmt = path.suffix.lstrip(".")
    return Response(
        path.read_bytes(),
        media_type=MEDIA_TYPES[fmt],
        headers={
            # A download, never a page of the workplace: report.html opens from disk.
            "Content-Disposition": f'attachment; filename="{path.name}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post("/rondes/{round_id}/rapporten")
def write_reports(round_id: str, ctx: Ctx, visit: RoundReader, form: Form) -> Response:
    rid = _id(round_id)
    if rid is None:
        return not_found(ctx, visit)
    language = field(form, "taal")
    kind = field(form, "soort")
    lang = visit.lang
    errors = {}
    if language not in ("nl", "en"):
        errors["taal"] = gettext("Choose the language of the report.", lang)
    if kind not in ("goedgekeurd", "concept"):
        errors["soort"] = gettext("Choose which building blocks the report shows.", lang)
    if errors:
        return _reports_page(ctx, visit, rid, 422, errors)
    try:
        with use_language(lang), ctx.writing() as session:
            if lineage.round_name(session, rid) is None:
                return not_found(ctx, visit)
            reports.compile_report(
                session, ctx.app, rid, language, ctx.clock(), include_drafts=kind == "concept"
            )
    except reports.NothingToReport as exc:
        return _reports_page(ctx, visit, rid, 409, {"soort": str(exc)})
    return RedirectResponse(f"{PREFIX}/rondes/{rid}/rapporten?melding=geschreven", status_code=303)
