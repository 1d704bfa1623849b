"""Personal data in the workplace: a person's export (a ZIP, as `consult privacy export` writes
it) from their registry page, and the audit log for administrators."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated, Final

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from consult.app import privacy, registry
from consult.app.audit import EntryView, Filters, UnknownPerson, entries
from consult.app.status import UnknownRound
from consult.i18n import format_datetime, use_language
from consult.text import clean_text
from consult.web.context import WebContext, web_context
from consult.web.workplace.access import requires
from consult.web.workplace.pages import Visit, not_found, render
from consult.web.workplace.roles import ACCOUNT_MANAGERS, PREFIX, REGISTRY_KEEPERS

router = APIRouter(prefix=PREFIX)
Ctx = Annotated[WebContext, Depends(web_context)]
Keeper = Annotated[Visit, Depends(requires(*REGISTRY_KEEPERS))]
Administrator = Annotated[Visit, Depends(requires(*ACCOUNT_MANAGERS))]

AUDIT_PATH: Final = f"{PREFIX}/audit"
SHOWN: Final = 200


@router.post("/register/mensen/{person_id}/export")
def export(person_id: str, ctx: Ctx, visit: Keeper) -> Response:
    """Everything held about the person as one ZIP download; the export is in the audit log
    (hence a POST)."""
    if not person_id.isdigit() or len(person_id) > 12:
        return not_found(ctx, visit)
    with ctx.reading() as session:
        record = registry.person_record(session, ctx.app.taxonomy, int(person_id))
    if record is None:
        return not_found(ctx, visit)
    with use_language(visit.lang), ctx.writing() as session:
        data = privacy.export_person(session, ctx.app, record.fields.email, ctx.clock())
    with tempfile.TemporaryDirectory(prefix="consult-export-") as directory:
        written = privacy.write_export(ctx.app, data, Path(directory) / "export.zip", visit.lang)
        content = written.read_bytes()
    return Response(
        content,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="persoonsgegevens-{person_id}.zip"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/audit")
def audit_log(
    ctx: Ctx,
    visit: Administrator,
    persoon: str = "",
    ronde: str = "",
    door: str = "",
) -> Response:
    """The newest entries of the audit log, narrowed by person (address), round and actor."""
    chosen = {
        k: clean_text(v).strip()[:200]
        for k, v in (("persoon", persoon), ("ronde", ronde), ("door", door))
    }
    filters = Filters(
        person_email=chosen["persoon"] or None,
        round_slug=chosen["ronde"] or None,
        actor=chosen["door"] or None,
        limit=SHOWN,
    )
    problem = ""
    found: list[EntryView] = []
    try:
        with use_language(visit.lang), ctx.reading() as session:
            found = entries(session, filters)
    except (UnknownPerson, UnknownRound) as exc:
        problem = str(exc)

    def when(moment: datetime) -> str:
        return format_datetime(moment, visit.lang)

    return render(
        ctx,
        visit,
        "audit.html",
        422 if problem else 200,
        chosen=chosen,
        found=found,
        problem=problem,
        shown=SHOWN,
        when=when,
    )
