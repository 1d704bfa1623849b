"""The registry: browse people and organisations by region and sector, correct their details,
and read in a CSV or .xlsx file in two steps (upload and see the report row by row, then
confirm). For the secretariat and administrators only: it holds everyone's contact details."""

from __future__ import annotations

import re
from typing import Annotated, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from consult.app import registry
from consult.app.registry import (
    MAX_UPLOAD_BYTES,
    OrganisationFields,
    PersonFields,
    RegistryEditError,
    RegistryFilter,
)
from consult.i18n import N_, gettext, ngettext, use_language
from consult.registry.parsing import RegistryFileError
from consult.web.context import WebContext, web_context
from consult.web.workplace.access import Form, field, requires
from consult.web.workplace.pages import Visit, filtered_address, not_found, render
from consult.web.workplace.roles import PREFIX, REGISTRY_KEEPERS, REGISTRY_PATH

router = APIRouter(prefix=PREFIX)
Ctx = Annotated[WebContext, Depends(web_context)]
Keeper = Annotated[Visit, Depends(requires(*REGISTRY_KEEPERS))]
Uploader = Annotated[Visit, Depends(requires(*REGISTRY_KEEPERS, upload_limit=MAX_UPLOAD_BYTES))]

UPLOAD_PATH: Final = f"{REGISTRY_PATH}/inlezen"
# A key as stage_upload makes it; anything else is not looked up.
_KEY_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,64}")
SAVED: Final = N_("The details are saved.")
UNCHANGED: Final = N_("Nothing was changed.")


def _id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) <= 12 else None


def _list_url(path: str, chosen: RegistryFilter, page: int) -> str:
    query = {
        "regio": chosen.region,
        "sector": chosen.sector,
        "zoek": chosen.text,
        "pagina": str(page) if page > 1 else "",
    }
    return filtered_address(path, query)


def _stored_notice(lang: str, new: int, updated: int, unchanged: int) -> str:
    return " ".join(
        (
            gettext("The registry is read in.", lang),
            ngettext("%(num)s new person,", "%(num)s new people,", new, lang),
            ngettext("%(num)s updated,", "%(num)s updated,", updated, lang),
            ngettext("%(num)s unchanged.", "%(num)s unchanged.", unchanged, lang),
        )
    )


@router.get("/register")
def people(
    ctx: Ctx,
    visit: Keeper,
    regio: str = "",
    sector: str = "",
    zoek: str = "",
    pagina: str = "",
    melding: str | None = None,
    nieuw: str | None = None,
    bijgewerkt: str | None = None,
    gelijk: str | None = None,
) -> Response:
    asked = RegistryFilter(regio, sector, zoek, _id(pagina) or 1)
    with ctx.reading() as session, use_language(visit.lang):
        found = registry.browse_people(session, ctx.app.taxonomy, asked)
    notice = None
    if melding == "ingelezen":
        notice = _stored_notice(visit.lang, _id(nieuw) or 0, _id(bijgewerkt) or 0, _id(gelijk) or 0)
    page = found.chosen.page
    return render(
        ctx,
        visit,
        "registry.html",
        listing=found,
        showing="people",
        notice=notice,
        filtered=found.chosen != RegistryFilter(page=page),
        previous=_list_url(REGISTRY_PATH, found.chosen, page - 1) if page > 1 else None,
        next=_list_url(REGISTRY_PATH, found.chosen, page + 1) if page < found.pages else None,
    )


@router.get("/register/organisaties")
def organisations(
    ctx: Ctx, visit: Keeper, regio: str = "", sector: str = "", zoek: str = "", pagina: str = ""
) -> Response:
    asked = RegistryFilter(regio, sector, zoek, _id(pagina) or 1)
    with ctx.reading() as session, use_language(visit.lang):
        found = registry.browse_organisations(session, ctx.app.taxonomy, asked)
        networks = registry.region_networks(session, ctx.app.taxonomy, found.chosen.region)
    path, page = f"{REGISTRY_PATH}/organisaties", found.chosen.page
    return render(
        ctx,
        visit,
        "registry.html",
        listing=found,
        showing="organisations",
        notice=None,
        networks=networks,
        filtered=found.chosen != RegistryFilter(page=page),
        previous=_list_url(path, found.chosen, page - 1) if page > 1 else None,
        next=_list_url(path, found.chosen, page + 1) if page < found.pages else None,
    )


# --------------------------------------------------------------------------------------------
# Reading in a file


def _upload_form(
    ctx: WebContext, visit: Visit, status_code: int = 200, error: str | None = None
) -> Response:
    return render(
        ctx,
        visit,
        "upload.html",
        status_code,
        errors={"bestand": error} if error else None,
        max_mb=MAX_UPLOAD_BYTES // (1024 * 1024),
        showing="upload",
    )


@router.get("/register/inlezen")
def upload_form(ctx: Ctx, visit: Keeper) -> Response:
    return _upload_form(ctx, visit)


@router.post("/register/inlezen")
def upload(ctx: Ctx, visit: Uploader, form: Form) -> Response:
    lang = visit.lang
    chosen = form.get("bestand")
    if not isinstance(chosen, UploadFile) or not chosen.filename:
        return _upload_form(ctx, visit, 422, gettext("Choose a CSV or .xlsx file.", lang))
    data = chosen.file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        error = gettext(
            "The file is larger than %(size)s MB. Split the registry in parts.",
            lang,
            size=MAX_UPLOAD_BYTES // (1024 * 1024),
        )
        return _upload_form(ctx, visit, 413, error)
    if not data:
        return _upload_form(ctx, visit, 422, gettext("The file is empty.", lang))
    assert visit.visitor is not None  # the guard lets only signed-in visitors in
    try:
        with use_language(lang), ctx.writing() as session:
            key = registry.stage_upload(
                session, ctx.app, visit.visitor.session_id, chosen.filename, data, ctx.clock()
            )
    except RegistryFileError as exc:
        return _upload_form(ctx, visit, 422, str(exc))
    return RedirectResponse(f"{UPLOAD_PATH}/{key}", status_code=303)


def _gone(ctx: WebContext, visit: Visit) -> Response:
    lang = visit.lang
    return render(
        ctx,
        visit,
        "message.html",
        404,
        title=gettext("This upload is no longer here", lang),
        body=gettext(
            "It was confirmed already, it is older than a day, or it was uploaded in another "
            "session. Look at the registry, or upload the file again.",
            lang,
        ),
        back=(UPLOAD_PATH, gettext("Upload a file", lang)),
    )


@router.get("/register/inlezen/{key}")
def preview(key: str, ctx: Ctx, visit: Keeper) -> Response:
    if not _KEY_SHAPE.fullmatch(key) or visit.visitor is None:
        return _gone(ctx, visit)
    with ctx.reading() as session, use_language(visit.lang):
        found = registry.upload_preview(session, visit.visitor.session_id, key, ctx.clock())
    if found is None:
        return _gone(ctx, visit)
    return render(
        ctx,
        visit,
        "upload_preview.html",
        u=found,
        action=f"{UPLOAD_PATH}/{key}",
        showing="upload",
    )


@router.post("/register/inlezen/{key}")
def confirm(key: str, ctx: Ctx, visit: Keeper) -> Response:
    if not _KEY_SHAPE.fullmatch(key) or visit.visitor is None:
        return _gone(ctx, visit)
    with use_language(visit.lang), ctx.writing() as session:
        counts = registry.confirm_upload(
            session, ctx.app, visit.visitor.session_id, key, ctx.clock()
        )
    if counts is None:
        return _gone(ctx, visit)
    query = urlencode(
        {
            "melding": "ingelezen",
            "nieuw": counts.created,
            "bijgewerkt": counts.updated,
            "gelijk": counts.unchanged,
        }
    )
    return RedirectResponse(f"{REGISTRY_PATH}?{query}", status_code=303)


# --------------------------------------------------------------------------------------------
# Editing


def _person_form(
    ctx: WebContext,
    visit: Visit,
    person_id: int,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    typed: PersonFields | None = None,
    notice: str | None = None,
) -> Response:
    with ctx.reading() as session, use_language(visit.lang):
        found = registry.person_record(session, ctx.app.taxonomy, person_id)
    if found is None:
        return not_found(ctx, visit)
    return render(
        ctx,
        visit,
        "registry_person.html",
        status_code,
        errors=errors,
        p=found,
        typed=typed or found.fields,
        notice=notice,
    )


def _person_notice(lang: str, melding: str | None, aantal: str | None) -> str | None:
    if melding == "opgeslagen":
        return gettext(SAVED, lang)
    if melding == "ongewijzigd":
        return gettext(UNCHANGED, lang)
    if melding == "adres":
        return ngettext(
            "The details are saved. %(num)s message that had not reached the old address goes "
            "to the new one.",
            "The details are saved. %(num)s messages that had not reached the old address go "
            "to the new one.",
            _id(aantal) or 0,
            lang,
        )
    return None


@router.get("/register/mensen/{person_id}")
def person(
    person_id: str,
    ctx: Ctx,
    visit: Keeper,
    melding: str | None = None,
    aantal: str | None = None,
) -> Response:
    pid = _id(person_id)
    if pid is None:
        return not_found(ctx, visit)
    return _person_form(ctx, visit, pid, notice=_person_notice(visit.lang, melding, aantal))


@router.post("/register/mensen/{person_id}")
def save_person(person_id: str, ctx: Ctx, visit: Keeper, form: Form) -> Response:
    pid = _id(person_id)
    if pid is None:
        return not_found(ctx, visit)
    typed = PersonFields(
        field(form, "name"), field(form, "email"), field(form, "role"), field(form, "language")
    )
    try:
        with use_language(visit.lang), ctx.writing() as session:
            saved = registry.update_person(session, pid, typed)
    except LookupError:
        return not_found(ctx, visit)
    except RegistryEditError as exc:
        return _person_form(ctx, visit, pid, 422, exc.errors, typed)
    if saved.requeued is not None:
        query = f"melding=adres&aantal={saved.requeued}"
    else:
        query = "melding=" + ("opgeslagen" if saved.changed else "ongewijzigd")
    return RedirectResponse(f"{REGISTRY_PATH}/mensen/{pid}?{query}", status_code=303)


def _organisation_form(
    ctx: WebContext,
    visit: Visit,
    organisation_id: int,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    typed: OrganisationFields | None = None,
    notice: str | None = None,
) -> Response:
    lang = visit.lang
    with ctx.reading() as session, use_language(lang):
        found = registry.organisation_record(session, organisation_id)
    if found is None:
        return not_found(ctx, visit)
    taxonomy = ctx.app.taxonomy
    return render(
        ctx,
        visit,
        "registry_organisation.html",
        status_code,
        errors=errors,
        o=found,
        typed=typed or found.fields,
        notice=notice,
        sectors=[(s.code, s.name_en if lang == "en" else s.name_nl) for s in taxonomy.sectors],
        regions=taxonomy.region_names,
    )


@router.get("/register/organisaties/{organisation_id}")
def organisation(
    organisation_id: str, ctx: Ctx, visit: Keeper, melding: str | None = None
) -> Response:
    oid = _id(organisation_id)
    if oid is None:
        return not_found(ctx, visit)
    notices = {"opgeslagen": SAVED, "ongewijzigd": UNCHANGED}
    notice = gettext(notices[melding], visit.lang) if melding in notices else None
    return _organisation_form(ctx, visit, oid, notice=notice)


@router.post("/register/organisaties/{organisation_id}")
def save_organisation(organisation_id: str, ctx: Ctx, visit: Keeper, form: Form) -> Response:
    oid = _id(organisation_id)
    if oid is None:
        return not_found(ctx, visit)
    typed = OrganisationFields(field(form, "name"), field(form, "sector"), field(form, "region"))
    try:
        with use_language(visit.lang), ctx.writing() as session:
            changed = registry.update_organisation(session, ctx.app.taxonomy, oid, typed)
    except LookupError:
        return not_found(ctx, visit)
    except RegistryEditError as exc:
        return _organisation_form(ctx, visit, oid, 422, exc.errors, typed)
    melding = "opgeslagen" if changed else "ongewijzigd"
    return RedirectResponse(
        f"{REGISTRY_PATH}/organisaties/{oid}?melding={melding}", status_code=303
    )
