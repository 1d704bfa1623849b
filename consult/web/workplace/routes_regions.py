"""A region's view of a round: for a regional coordinator their own regions only (another
region's page is refused), for the secretariat, staff and administrators every region."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from consult.app import regions
from consult.i18n import use_language
from consult.web.context import WebContext, web_context
from consult.web.workplace.access import requires
from consult.web.workplace.pages import Visit, forbidden, not_found, render
from consult.web.workplace.roles import PREFIX, REGION_VIEWERS

router = APIRouter(prefix=PREFIX)
Ctx = Annotated[WebContext, Depends(web_context)]
Viewer = Annotated[Visit, Depends(requires(*REGION_VIEWERS))]


def _id(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) <= 12 else None


@router.get("/regio")
def region_list(ctx: Ctx, visit: Viewer) -> Response:
    assert visit.visitor is not None  # the guard lets only signed-in visitors in
    with ctx.reading() as session:
        found = regions.visible_regions(session, ctx.app.taxonomy, visit.visitor.account_id)
    return render(ctx, visit, "regions.html", regions=found)


@router.get("/regio/{region}")
def region_page(region: str, ctx: Ctx, visit: Viewer, ronde: str = "") -> Response:
    assert visit.visitor is not None
    taxonomy = ctx.app.taxonomy
    if region not in taxonomy.region_names:
        return not_found(ctx, visit)
    round_id = _id(ronde) if ronde else None
    if ronde and round_id is None:
        return not_found(ctx, visit)
    with ctx.reading() as session, use_language(visit.lang):
        if not regions.may_see(session, taxonomy, visit.visitor.account_id, region):
            return forbidden(ctx, visit)
        view = regions.region_round(session, taxonomy, region, round_id)
    if view is None:
        return not_found(ctx, visit)
    return render(ctx, visit, "region.html", r=view)
