"""The staff's building-block board: a round's themes, one theme's blocks as cards with a tray of
unplaced contributions, every decision `consult blocks` offers as a small form, and a search over
the round's contributions. Staff decide; the secretariat and administrators look.

Each decision goes through consult.app.blocks under the signed-in account ("account:<id>"), so
it lands in the blocks' history and the audit log like a decision on the command line, and
survives a new synthesis the same way. A refused decision shows the board again with the
reason at the card it concerns."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Final
from urllib.parse import urlencode

from fastapi import APIRouter, BackgroundTasks, Depends
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from consult.app import blocks
from consult.app.blocks import DecisionError
from consult.app.board import Board, Kept, SearchFilter, round_boards, search, theme_board
from consult.app.signals import approval_signals
from consult.i18n import N_, gettext, ngettext, use_language
from consult.web.context import WebContext, web_context
from consult.web.workplace.access import Form, field, fields, requires
from consult.web.workplace.pages import Visit, filtered_address, not_found, render
from consult.web.workplace.roles import BLOCK_EDITORS, PREFIX, ROUND_READERS
from models import BlockStatus

router = APIRouter(prefix=PREFIX)
Ctx = Annotated[WebContext, Depends(web_context)]
RoundReader = Annotated[Visit, Depends(requires(*ROUND_READERS))]
BlockEditor = Annotated[Visit, Depends(requires(*BLOCK_EDITORS))]

# The form's value for "to no building block" in a move.
NOWHERE: Final = "nergens"

# What the board says after a decision (?melding=...&blok=...).
NOTICES: Final = {
    "hernoemd": N_("Building block %(block)s has its new title."),
    "samenvatting": N_("The summary of building block %(block)s is saved."),
    "samengevoegd": N_("The building blocks are merged into building block %(block)s."),
    "gesplitst": N_("The contributions are split off to the new building block %(block)s."),
    "verplaatst": N_("Placed in building block %(block)s."),
    "buiten": N_(
        "Taken out of the building blocks; a new synthesis does not place it there again."
    ),
    "goedgekeurd": N_("Building block %(block)s is approved."),
    "afgewezen": N_("Building block %(block)s is rejected."),
    "heropend": N_("Building block %(block)s is a draft again."),
    "ongewijzigd": N_("Nothing changed: building block %(block)s was like that already."),
}


def _id(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) <= 12 else None


def _ids(values: list[str]) -> list[int] | None:
    ids = [_id(v) for v in values]
    return None if any(i is None for i in ids) else [i for i in ids if i is not None]


def _board_path(round_id: int, theme: str) -> str:
    return f"{PREFIX}/rondes/{round_id}/bouwstenen/{theme}"


def _notice(lang: str, code: str | None, block: str | None, count: str | None) -> str | None:
    if code in NOTICES:
        return gettext(NOTICES[code], lang, block=_id(block or "") or "")
    if code == "alles-goedgekeurd":
        return ngettext(
            "%(num)s building block of this theme is approved.",
            "%(num)s building blocks of this theme are approved.",
            _id(count or "") or 0,
            lang,
        )
    if code == "leeg":
        return gettext(
            "The building blocks with contributions are approved; empty drafts stay drafts "
            "(merge them or reject them).",
            lang,
        )
    return None


@router.get("/rondes/{round_id}/bouwstenen")
def themes(round_id: str, ctx: Ctx, visit: RoundReader) -> Response:
    rid = _id(round_id)
    if rid is None:
        return not_found(ctx, visit)
    with ctx.reading() as session, use_language(visit.lang):
        found = round_boards(session, rid)
    if found is None:
        return not_found(ctx, visit)
    return render(ctx, visit, "board_themes.html", r=found)


def _board_page(
    ctx: WebContext,
    visit: Visit,
    round_id: int,
    theme: str,
    tray_page: int = 1,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
) -> Response:
    with ctx.reading() as session, use_language(visit.lang):
        found = theme_board(session, ctx.app, round_id, theme, tray_page)
    if found is None:
        return not_found(ctx, visit)
    base = _board_path(round_id, theme)
    can_decide = visit.role in BLOCK_EDITORS

    def tray_url(page: int) -> str:
        return base + (f"?lade={page}" if page > 1 else "") + "#lade"

    return render(
        ctx,
        visit,
        "board.html",
        status_code,
        errors=errors,
        b=found,
        base=base,
        notice=notice,
        can_decide=can_decide,
        members_html=_member_lists(ctx, found, visit.lang, can_decide),
        nowhere=NOWHERE,
        previous=tray_url(found.tray_page - 1) if found.tray_page > 1 else None,
        next=tray_url(found.tray_page + 1) if found.tray_page < found.tray_pages else None,
    )


# The cards' lists of contributions are most of a large board's HTML and hold no form token:
# made once per state of the board (language, whether they can be ticked) and kept.
_lists = Kept(16)


def _member_lists(
    ctx: WebContext, board: Board, lang: str, can_decide: bool
) -> Mapping[int, Markup]:
    key = (*board.state, lang, can_decide)
    found: Mapping[int, Markup] | None = _lists.get(key)
    if found is None:
        macro = ctx.app.env.get_template("web/workplace/_board_members.html").module.members  # type: ignore[attr-defined]
        not_shown = gettext("The text is not shown: the contributor did not allow quoting.", lang)
        by_staff = gettext("placed by staff", lang)
        found = {
            c.id: Markup(
                macro(c, can_decide and c.is_draft and bool(c.members), not_shown, by_staff)
            )
            for c in board.cards
        }
        if board.state:
            _lists.put(key, found)
    return found


@router.get("/rondes/{round_id}/bouwstenen/{theme}")
def board(
    round_id: str,
    theme: str,
    ctx: Ctx,
    visit: RoundReader,
    lade: str = "",
    melding: str | None = None,
    blok: str | None = None,
    aantal: str | None = None,
) -> Response:
    rid = _id(round_id)
    if rid is None:
        return not_found(ctx, visit)
    notice = _notice(visit.lang, melding, blok, aantal)
    return _board_page(ctx, visit, rid, theme, _id(lade) or 1, notice=notice)


Decision = Callable[[Session, str], tuple[str, int | None]]


def _decide(
    ctx: WebContext,
    visit: Visit,
    round_id: str,
    theme: str,
    anchor: str,
    decision: Decision,
    background: BackgroundTasks | None = None,
) -> Response:
    """Carry out one decision in a unit of work under the visitor's account; back to the board
    at `anchor` with a notice, or the board with the reason when it is refused."""
    rid = _id(round_id)
    if rid is None or visit.visitor is None:
        return not_found(ctx, visit)
    actor = f"account:{visit.visitor.account_id}"
    try:
        with use_language(visit.lang), ctx.writing() as session:
            code, number = decision(session, actor)
            signals = approval_signals(session, [rid]) if code.endswith("goedgekeurd") else []
    except DecisionError as exc:
        return _board_page(ctx, visit, rid, theme, status_code=409, errors={anchor: str(exc)})
    if background is not None and signals:
        ctx.after_response(background, False, signals)
    query = {"melding": code}
    if number is not None:
        query["aantal" if code == "alles-goedgekeurd" else "blok"] = str(number)
    return RedirectResponse(
        f"{_board_path(rid, theme)}?{urlencode(query)}#{anchor}", status_code=303
    )


def _block_decision(
    ctx: WebContext,
    visit: Visit,
    round_id: str,
    theme: str,
    block_id: str,
    act: Callable[[Session, int, str], tuple[str, int | None]],
    background: BackgroundTasks | None = None,
) -> Response:
    bid, rid = _id(block_id), _id(round_id)
    if bid is None or rid is None:
        return not_found(ctx, visit)

    def decision(session: Session, actor: str) -> tuple[str, int | None]:
        blocks.check_on_board(session, bid, rid, theme)
        return act(session, bid, actor)

    return _decide(ctx, visit, round_id, theme, f"blok-{bid}", decision, background)


def _changed(changed: bool, code: str, block_id: int) -> tuple[str, int | None]:
    return (code if changed else "ongewijzigd"), block_id


BLOCK = "/rondes/{round_id}/bouwstenen/{theme}/blokken/{block_id}"


@router.post(BLOCK + "/titel")
def rename(
    round_id: str, theme: str, block_id: str, ctx: Ctx, visit: BlockEditor, form: Form
) -> Response:
    title = field(form, "titel")
    return _block_decision(
        ctx,
        visit,
        round_id,
        theme,
        block_id,
        lambda s, bid, who: _changed(blocks.rename(s, bid, title, who), "hernoemd", bid),
    )


@router.post(BLOCK + "/samenvatting")
def summary(
    round_id: str, theme: str, block_id: str, ctx: Ctx, visit: BlockEditor, form: Form
) -> Response:
    text = field(form, "samenvatting")
    return _block_decision(
        ctx,
        visit,
        round_id,
        theme,
        block_id,
        lambda s, bid, who: _changed(blocks.edit_summary(s, bid, text, who), "samenvatting", bid),
    )


@router.post("/rondes/{round_id}/bouwstenen/{theme}/samenvoegen")
def merge(round_id: str, theme: str, ctx: Ctx, visit: BlockEditor, form: Form) -> Response:
    """The ticked blocks (bron) go into the chosen one (doel)."""
    target = _id(field(form, "doel"))
    sources = _ids(fields(form, "bron"))
    lang = visit.lang
    rid = _id(round_id) or 0

    def decision(s: Session, who: str) -> tuple[str, int | None]:
        if target is None:
            raise DecisionError(gettext("Choose the building block they go into.", lang))
        if not sources:
            raise DecisionError(gettext("Tick the building blocks to merge.", lang))
        for block_id in (target, *sources):
            blocks.check_on_board(s, block_id, rid, theme)
        blocks.merge(s, target, sources, who)
        return "samengevoegd", target

    anchor = f"blok-{target}" if target is not None else "blokken"
    return _decide(ctx, visit, round_id, theme, anchor, decision)


@router.post(BLOCK + "/bijdragen")
def members(
    round_id: str, theme: str, block_id: str, ctx: Ctx, visit: BlockEditor, form: Form
) -> Response:
    """The contributions ticked on a card: moved to another block or out of every block
    (doen=verplaatsen, naar), or split off to a new block (doen=splitsen, titel)."""
    chosen = _ids(fields(form, "bijdrage"))
    action, to, title = field(form, "doen"), field(form, "naar"), field(form, "titel")
    target = None if to == NOWHERE else _id(to)
    lang = visit.lang
    rid = _id(round_id) or 0

    def act(s: Session, bid: int, who: str) -> tuple[str, int | None]:
        if not chosen:
            raise DecisionError(gettext("Tick the contributions first.", lang))
        if action == "splitsen":
            return "gesplitst", blocks.split(s, bid, chosen, title, who)
        if target is None and to != NOWHERE:
            raise DecisionError(gettext("Choose where the contributions go.", lang))
        if target is not None:
            blocks.check_on_board(s, target, rid, theme)
        for contribution in chosen:
            blocks.move(s, contribution, target, who)
        return ("verplaatst", target) if target is not None else ("buiten", None)

    return _block_decision(ctx, visit, round_id, theme, block_id, act)


def _status(
    status: BlockStatus, code: str
) -> Callable[[Session, int, str], tuple[str, int | None]]:
    def act(s: Session, bid: int, who: str) -> tuple[str, int | None]:
        return _changed(bool(blocks.set_status(s, [bid], status, who).changed), code, bid)

    return act


@router.post(BLOCK + "/goedkeuren")
def approve(
    round_id: str,
    theme: str,
    block_id: str,
    ctx: Ctx,
    visit: BlockEditor,
    background: BackgroundTasks,
) -> Response:
    act = _status(BlockStatus.APPROVED, "goedgekeurd")
    return _block_decision(ctx, visit, round_id, theme, block_id, act, background)


@router.post(BLOCK + "/afwijzen")
def reject(
    round_id: str,
    theme: str,
    block_id: str,
    ctx: Ctx,
    visit: BlockEditor,
    background: BackgroundTasks,
) -> Response:
    act = _status(BlockStatus.REJECTED, "afgewezen")
    return _block_decision(ctx, visit, round_id, theme, block_id, act, background)


@router.post(BLOCK + "/heropenen")
def reopen(round_id: str, theme: str, block_id: str, ctx: Ctx, visit: BlockEditor) -> Response:
    act = _status(BlockStatus.DRAFT, "heropend")
    return _block_decision(ctx, visit, round_id, theme, block_id, act)


@router.post("/rondes/{round_id}/bouwstenen/{theme}/verplaatsen")
def move(round_id: str, theme: str, ctx: Ctx, visit: BlockEditor, form: Form) -> Response:
    """A contribution to a block of this board, or (naar=nergens) out of every block. The
    tray's one-click buttons and each card's move form both end here."""
    contribution = _id(field(form, "bijdrage"))
    to = field(form, "naar")
    target = None if to == NOWHERE else _id(to)
    # Back to where the contribution went, or to the card (or tray) it came from.
    origin = field(form, "terug")
    anchor = origin if origin.startswith("blok-") and _id(origin[5:]) else "lade"
    if target is not None:
        anchor = f"blok-{target}"
    rid = _id(round_id)
    lang = visit.lang

    def decision(s: Session, who: str) -> tuple[str, int | None]:
        if contribution is None:
            raise DecisionError(gettext("Choose the contribution to move.", lang))
        if target is None and to != NOWHERE:
            raise DecisionError(gettext("Choose where the contribution goes.", lang))
        if target is not None:
            blocks.check_on_board(s, target, rid or 0, theme)
        blocks.move(s, contribution, target, who)
        return ("verplaatst", target) if target is not None else ("buiten", None)

    return _decide(ctx, visit, round_id, theme, anchor, decision)


@router.post("/rondes/{round_id}/bouwstenen/{theme}/alles-goedkeuren")
def approve_all(
    round_id: str, theme: str, ctx: Ctx, visit: BlockEditor, background: BackgroundTasks
) -> Response:
    rid = _id(round_id)

    def decision(s: Session, who: str) -> tuple[str, int | None]:
        done = blocks.approve_theme(s, rid or 0, theme, who)
        if done.empty and not done.change.changed:
            return "leeg", None
        return "alles-goedgekeurd", len(done.change.changed)

    return _decide(ctx, visit, round_id, theme, "blokken", decision, background)


def _search_url(round_id: int, chosen: SearchFilter, page: int) -> str:
    query = {
        "q": chosen.q,
        "theme": chosen.theme,
        "sector": chosen.sector,
        "region": chosen.region,
        "kind": chosen.kind,
        "permission": chosen.permission,
        "pagina": str(page) if page > 1 else "",
    }
    return filtered_address(f"{PREFIX}/rondes/{round_id}/bijdragen", query)


@router.get("/rondes/{round_id}/bijdragen")
def contributions(
    round_id: str,
    ctx: Ctx,
    visit: RoundReader,
    q: str = "",
    theme: str = "",
    sector: str = "",
    region: str = "",
    kind: str = "",
    permission: str = "",
    pagina: str = "",
) -> Response:
    rid = _id(round_id)
    if rid is None:
        return not_found(ctx, visit)
    asked = SearchFilter(q.strip()[:200], theme, sector, region, kind, permission, _id(pagina) or 1)
    with ctx.reading() as session, use_language(visit.lang):
        found = search(session, ctx.app.taxonomy, rid, asked)
    if found is None:
        return not_found(ctx, visit)
    page = found.chosen.page
    return render(
        ctx,
        visit,
        "contributions.html",
        s=found,
        previous=_search_url(rid, found.chosen, page - 1) if page > 1 else None,
        next=_search_url(rid, found.chosen, page + 1) if page < found.pages else None,
        filtered=found.chosen != SearchFilter(page=page),
    )
