"""Launching a round from the browser: a form (or an uploaded spec file), checked by the same
rules as `consult round launch` before anything is stored; a confirmation step when slots fall
in a weekend or on a public holiday; then the same launch use case as the command line, and the
round's dashboard. For the secretariat and administrators."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from consult.app import launch as launching
from consult.app import launch_form
from consult.app.launch_form import GENERAL, MAX_SPEC_BYTES, UPLOAD, Checked, LaunchFields
from consult.i18n import gettext, use_language
from consult.rounds.launch import LaunchError
from consult.spec import RoundSpec
from consult.web.context import WebContext, web_context
from consult.web.workplace.access import Form, field, fields, requires
from consult.web.workplace.pages import Visit, render
from consult.web.workplace.roles import PREFIX, ROUND_MANAGERS

router = APIRouter(prefix=PREFIX)
Ctx = Annotated[WebContext, Depends(web_context)]
Manager = Annotated[Visit, Depends(requires(*ROUND_MANAGERS))]
Launcher = Annotated[Visit, Depends(requires(*ROUND_MANAGERS, upload_limit=MAX_SPEC_BYTES))]

NEW_PATH: Final = f"{PREFIX}/rondes/nieuw"


def _form(
    ctx: WebContext,
    visit: Visit,
    typed: LaunchFields,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
) -> Response:
    taxonomy = ctx.app.taxonomy
    return render(
        ctx,
        visit,
        "launch.html",
        status_code,
        errors=errors,
        typed=typed,
        themes=launch_form.theme_choices(taxonomy, visit.lang),
        regions=taxonomy.region_names,
        choices=launch_form.CHOICES,
        action=NEW_PATH,
    )


def _confirm(
    ctx: WebContext, visit: Visit, checked: Checked, typed: LaunchFields | None
) -> Response:
    assert checked.spec is not None
    with use_language(visit.lang):
        shown = launch_form.summary(checked.spec, ctx.app.taxonomy, visit.lang)
    return render(
        ctx,
        visit,
        "launch_confirm.html",
        s=shown,
        warnings=checked.warnings,
        serialised=launch_form.serialise(checked.spec),
        hidden=list(typed.pairs()) if typed is not None else [],
        action=NEW_PATH,
    )


def _launch(ctx: WebContext, visit: Visit, spec: RoundSpec, typed: LaunchFields | None) -> Response:
    """Launch `spec`; a problem the registry or another round causes is shown on the form (or
    at the file field), with nothing stored."""
    try:
        with use_language(visit.lang), ctx.writing() as session:
            result = launching.launch_new(session, ctx.app, spec)
    except launching.RoundExists as exc:
        key = exc.field if typed is not None else UPLOAD
        if typed is not None and exc.field == "slug" and not typed.slug:
            key = "name"
        return _form(ctx, visit, typed or LaunchFields(), 422, {key: str(exc)})
    except LaunchError as exc:
        key = GENERAL if typed is not None else UPLOAD
        return _form(ctx, visit, typed or LaunchFields(), 422, {key: str(exc)})
    return RedirectResponse(
        f"{PREFIX}/rondes/{result.round_id}?melding=gestart&aantal={result.invitations_total}",
        status_code=303,
    )


@router.get("/rondes/nieuw")
def new_round(ctx: Ctx, visit: Manager) -> Response:
    return _form(ctx, visit, LaunchFields())


@router.post("/rondes/nieuw")
def launch_round(ctx: Ctx, visit: Launcher, form: Form) -> Response:
    lang = visit.lang
    action = field(form, "action")
    chosen = form.get(UPLOAD)
    if action == "upload" or isinstance(chosen, UploadFile):
        return _upload(ctx, visit, chosen)
    typed = launch_form.read_fields(
        lambda name: field(form, name), lambda name: fields(form, name), ctx.app.taxonomy
    )
    if action == "rows":
        return _form(ctx, visit, typed.with_more_rows())
    if action == "edit":
        return _form(ctx, visit, typed)
    if action == "confirm":
        with use_language(lang):
            checked = launch_form.check_confirmed(field(form, "spec"))
        if checked.spec is None:
            return _form(ctx, visit, typed, 422, dict(checked.errors))
        return _launch(ctx, visit, checked.spec, typed if typed.name else None)
    with use_language(lang):
        checked = launch_form.check_fields(typed, ctx.app.taxonomy, lang)
    if checked.spec is None:
        return _form(ctx, visit, typed, 422, dict(checked.errors))
    if checked.warnings:
        return _confirm(ctx, visit, checked, typed)
    return _launch(ctx, visit, checked.spec, typed)


def _upload(ctx: WebContext, visit: Visit, chosen: object) -> Response:
    lang = visit.lang
    if not isinstance(chosen, UploadFile) or not chosen.filename:
        error = gettext("Choose a round spec file (.toml).", lang)
        return _form(ctx, visit, LaunchFields(), 422, {UPLOAD: error})
    data = chosen.file.read(MAX_SPEC_BYTES + 1)
    if len(data) > MAX_SPEC_BYTES:
        error = gettext(
            "The file is larger than %(size)s kB; a round spec is far smaller.",
            lang,
            size=MAX_SPEC_BYTES // 1000,
        )
        return _form(ctx, visit, LaunchFields(), 413, {UPLOAD: error})
    with use_language(lang):
        checked = launch_form.check_upload(data, chosen.filename)
    if checked.spec is None:
        return _form(ctx, visit, LaunchFields(), 422, dict(checked.errors))
    if checked.warnings:
        return _confirm(ctx, visit, checked, None)
    return _launch(ctx, visit, checked.spec, None)
