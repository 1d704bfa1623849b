"""The invitee's pages, reached through the personal link in their emails.

GET only reads (mail scanners such as Safe Links open every link in a message); every change
is a POST from a form with a CSRF token. A POST that succeeds redirects (303) to a page that
says what was saved, so reloading it does not send the form again. Routes stay thin: read the
form, resolve the link, call a service, commit, then signal and send mail after the response.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from consult.app import audit
from consult.app.signals import invitation_responded
from consult.contributions.forms import (
    FormErrors,
    InputClosed,
    Phase,
    form_fields,
    parse_answers,
    phase_at,
    save_answers,
)
from consult.events import (
    CONTRIBUTION_SUBMITTED,
    ROUND_STATUS_LABEL,
    Signal,
    contribution_resource,
    invitation_resource,
    round_resource,
)
from consult.i18n import N_, gettext
from consult.rounds.answers import AnswerError, lock_invitation
from consult.rounds.availability import set_availability
from consult.rounds.calendar_feeds import person_feed, session_ics
from consult.rounds.confirmations import queue_answer_confirmation, queue_input_confirmation
from consult.rounds.delegation import delegate, may_delegate, note_attempt, parse_colleague
from consult.rounds.ranking import rank_themes
from consult.rounds.respond import Reply, respond
from consult.rounds.seats import find_seat
from consult.text import clean_text
from consult.web.context import WebContext, web_context
from consult.web.security import Access, csrf_token, csrf_valid, resolve
from consult.web.views import input_view, invitation_view
from models import Invitation, InvitationStatus

router = APIRouter()
Ctx = Annotated[WebContext, Depends(web_context)]

# A full input form is 5 answers of 5,000 characters; percent-encoding can triple each byte
# of non-ASCII text. Anything far beyond that is not a person typing.
MAX_FORM_BYTES = 400_000
# Conflicts with the state of the invitation answer 409; a form that is wrong answers 422.
CONFLICTS = {
    "deadline",
    "delegated",
    "max_hops",
    "not_accepted",
    "already_invited",
    "input_closed",
}
# What a page says after a form was saved (?saved=...).
SAVED_ON_INVITATION = {
    "accepted": N_(
        "Thank you: you are taking part. You will get a confirmation by email. "
        "You can still change your times below."
    ),
    "declined": N_("Your answer is saved: you will not take part."),
    "availability": N_("Your availability is saved."),
    "ranking": N_("The order of the themes is saved."),
    "delegated": N_("Your colleague will get an invitation by email."),
}
SAVED_ON_INPUT = {
    "draft": N_("Your draft is saved. You can change it until %(deadline)s."),
    "submitted": N_(
        "Thank you: your input is submitted. You will get a confirmation by email. "
        "You can still change your answers until %(deadline)s."
    ),
}
# The stored answer each of them belongs with: times and the order are saved by people who
# take part.
SAVED_WITH = {
    "accepted": InvitationStatus.ACCEPTED,
    "declined": InvitationStatus.DECLINED,
    "availability": InvitationStatus.ACCEPTED,
    "ranking": InvitationStatus.ACCEPTED,
    "delegated": InvitationStatus.DELEGATED,
}
PAGES = {"invitation": "", "input": "/input", "delegate": "/delegate"}


class Refused(Exception):
    """Ends a request with this response; raised inside a unit of work, it rolls it back."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


async def form_data(request: Request) -> FormData:
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_FORM_BYTES:
        ctx = web_context(request)
        raise Refused(
            ctx.render(
                "web/message.html",
                "nl",
                413,
                title=gettext("Too much text", "nl"),
                body=gettext("The form holds more text than we can process.", "nl"),
                back=None,
            )
        )
    return await request.form()


Form = Annotated[FormData, Depends(form_data)]


# Every typed value passes clean_text: PostgreSQL refuses a NUL byte in text (HTTP 500).
def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return clean_text(value) if isinstance(value, str) else ""


def _fields(form: FormData) -> dict[str, str]:
    return {key: clean_text(value) for key, value in form.items() if isinstance(value, str)}


def not_found(ctx: WebContext) -> Response:
    # The same page for a link that never existed and one that expired: it must not tell which.
    return ctx.render_in_both_languages(
        404,
        title=N_("Page not found"),
        heading=N_("Page not found"),
        body=N_(
            "This link does not work. Please check that you used the complete link from the "
            "email. If that does not help, email the secretariat."
        ),
    )


def _open(ctx: WebContext, session: Session, token: str, form: FormData | None) -> Access:
    """The invitation behind the link; with a form, also check its CSRF token and lock the
    invitation, so that POSTs to one invitation take turns (a burst of the same form then
    makes one change, and the rest see it made, as a repeat would)."""
    access = resolve(session, token, ctx.clock(), ctx.grace)
    if access is None:
        raise Refused(not_found(ctx))
    if form is None:
        return access
    if not csrf_valid(ctx.secret, access.token_hash, _field(form, "csrf")):
        lang = access.invitation.person.language
        raise Refused(
            ctx.render(
                "web/message.html",
                lang,
                403,
                title=gettext("Form expired", lang),
                body=gettext(
                    "To protect your details we could not process this form. Go back to your "
                    "page, reload it and try again.",
                    lang,
                ),
                back=f"/i/{token}",
            )
        )
    return Access(lock_invitation(session, access.invitation.id), access.token_hash)


def _see(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _status(code: str) -> int:
    if code == "too_many":
        return 429
    return 409 if code in CONFLICTS else 422


# --------------------------------------------------------------------------------------------
# The invitation page


def _invitation_page(
    ctx: WebContext,
    token: str,
    *,
    saved: str | None = None,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
    slot_ids: set[int] | None = None,
    ranking: list[str] | None = None,
) -> Response:
    with ctx.reading() as session:
        access = _open(ctx, session, token, None)
        invitation = access.invitation
        lang = invitation.person.language
        notice = None
        # The URL only says which form was sent; the banner follows the stored answer (an old
        # or hand-edited link must not say "u doet niet mee" to someone who takes part).
        if saved in SAVED_ON_INVITATION and SAVED_WITH[saved] == invitation.status:
            notice = gettext(SAVED_ON_INVITATION[saved], lang)
        return ctx.render(
            "web/invitation.html",
            lang,
            status_code,
            errors=errors,
            page=invitation_view(session, invitation, ctx.clock(), slot_ids, ranking),
            may_delegate=may_delegate(invitation, ctx.app.settings.delegation.max_hops),
            notice=notice,
            csrf=csrf_token(ctx.secret, access.token_hash),
            base=f"/i/{token}",
            here="invitation",
        )


@router.get("/i/{token}")
def invitation_page(token: str, ctx: Ctx, saved: str | None = None) -> Response:
    return _invitation_page(ctx, token, saved=saved)


@router.post("/i/{token}/answer")
def post_answer(token: str, form: Form, ctx: Ctx, background: BackgroundTasks) -> Response:
    answer = _field(form, "answer")
    # The full answer form (for someone who has not said yes) also carries the order of the
    # themes and the times; the short one of someone taking part only the answer.
    details = _field(form, "details") == "1"
    ranking = [_field(form, f"choice-{i}") for i in range(1, _places(form) + 1)]
    slot_ids, numbers = _slot_ids(form)
    try:
        with ctx.writing() as session:
            invitation = _open(ctx, session, token, form).invitation
            if answer not in ("accept", "decline"):
                raise AnswerError("answer must be accept or decline", "bad_answer")
            if details and not numbers:
                raise AnswerError("slot ids must be numbers", "unknown_slot")
            reply = Reply(
                answer == "accept",
                ranking=ranking or None,
                slot_ids=slot_ids if details else None,
            )
            replied = respond(session, invitation, reply, ctx.clock())
            mail = False
            if replied.answer_changed and invitation.status == InvitationStatus.ACCEPTED:
                mail = queue_answer_confirmation(session, ctx.app.mail_context(), invitation)
            extra: dict[str, str | int | list[int]] = {"status": invitation.status.value}
            if replied.times_changed and slot_ids:
                extra["slot_ids"] = sorted(slot_ids)
            signals = [invitation_responded(invitation, "answer", **extra)]
    except AnswerError as exc:
        field = {"unknown_slot": "availability", "bad_ranking": "ranking"}.get(exc.code, "answer")
        if not details:
            return _refused_page(ctx, token, {"answer": exc.code})
        return _refused_page(ctx, token, {field: exc.code}, slot_ids, ranking or None)
    if replied.changed:
        ctx.after_response(background, mail, signals)
    return _see(f"/i/{token}?saved={'accepted' if answer == 'accept' else 'declined'}")


def _places(form: FormData) -> int:
    """How many places the ranking form has (choice-1, choice-2, ...)."""
    n = 0
    while f"choice-{n + 1}" in form:
        n += 1
    return n


def _slot_ids(form: FormData) -> tuple[set[int], bool]:
    """The ticked times' slot ids, and whether every one sent was a number (the ids are
    shown again, ticked, when the form is refused)."""
    raw = [v for v in form.getlist("slot") if isinstance(v, str)]
    # ASCII digits only, and not too many: int() refuses "²" and numbers of 4,300 digits.
    numbers = [v for v in raw if v.isascii() and v.isdigit() and len(v) <= 18]
    return {int(v) for v in numbers}, len(numbers) == len(raw)


def _refused_page(
    ctx: WebContext,
    token: str,
    errors: Mapping[str, str],
    slot_ids: set[int] | None = None,
    ranking: list[str] | None = None,
) -> Response:
    code = next(iter(errors.values()))
    # A closed answer or a delegated invitation hides the forms; the message then points at
    # what the page says instead.
    if code == "deadline":
        errors = {"answer": code}
    elif code == "delegated":
        errors = {"status": code}
    return _invitation_page(
        ctx, token, errors=errors, status_code=_status(code), slot_ids=slot_ids, ranking=ranking
    )


@router.post("/i/{token}/availability")
def post_availability(token: str, form: Form, ctx: Ctx, background: BackgroundTasks) -> Response:
    slot_ids, numbers = _slot_ids(form)
    try:
        with ctx.writing() as session:
            invitation = _open(ctx, session, token, form).invitation
            if not numbers:
                raise AnswerError("slot ids must be numbers", "unknown_slot")
            changed = set_availability(session, invitation, slot_ids, ctx.clock())
            signals = [invitation_responded(invitation, "availability", slot_ids=sorted(slot_ids))]
    except AnswerError as exc:
        return _refused_page(ctx, token, {"availability": exc.code}, slot_ids)
    if changed:
        ctx.after_response(background, False, signals)
    return _see(f"/i/{token}?saved=availability")


@router.post("/i/{token}/ranking")
def post_ranking(token: str, form: Form, ctx: Ctx, background: BackgroundTasks) -> Response:
    try:
        with ctx.writing() as session:
            invitation = _open(ctx, session, token, form).invitation
            n = len(invitation.theme_preferences)
            ordered = [_field(form, f"choice-{i}") for i in range(1, n + 1)]
            changed = rank_themes(invitation, ordered, ctx.clock())
            signals = [invitation_responded(invitation, "ranking")]
    except AnswerError as exc:
        sent = [_field(form, f"choice-{i}") for i in range(1, _places(form) + 1)]
        return _refused_page(ctx, token, {"ranking": exc.code}, ranking=sent or None)
    if changed:
        ctx.after_response(background, False, signals)
    return _see(f"/i/{token}?saved=ranking")


# --------------------------------------------------------------------------------------------
# Delegation


def _delegate_page(
    ctx: WebContext,
    token: str,
    errors: Mapping[str, str] | None = None,
    typed: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    with ctx.reading() as session:
        access = _open(ctx, session, token, None)
        invitation = access.invitation
        lang = invitation.person.language
        taxonomy = ctx.app.taxonomy
        # What the form starts with: the delegator's own language and sector, to change.
        preset = {"language": lang, "sector": invitation.person.organisation.sector}
        return ctx.render(
            "web/delegate.html",
            lang,
            status_code,
            errors=errors,
            page=invitation_view(session, invitation, ctx.clock()),
            may_delegate=may_delegate(invitation, ctx.app.settings.delegation.max_hops),
            sectors=[(s.code, s.name_en if lang == "en" else s.name_nl) for s in taxonomy.sectors],
            typed={**preset, **(typed or {})},
            csrf=csrf_token(ctx.secret, access.token_hash),
            base=f"/i/{token}",
            here="delegate",
        )


@router.get("/i/{token}/delegate")
def delegate_page(token: str, ctx: Ctx) -> Response:
    return _delegate_page(ctx, token)


@router.post("/i/{token}/delegate")
def post_delegate(token: str, form: Form, ctx: Ctx, background: BackgroundTasks) -> Response:
    typed = {k: _field(form, k) for k in ("name", "email", "organisation", "language", "sector")}
    colleague, errors = parse_colleague(**typed, sectors=ctx.app.taxonomy.sector_codes)
    limits = ctx.app.settings.delegation
    try:
        if colleague is not None:
            # Committed on its own: a refused attempt must count as well.
            with ctx.writing() as session:
                invitation = _open(ctx, session, token, form).invitation
                note_attempt(
                    session,
                    invitation,
                    ctx.clock(),
                    limits.max_attempts_per_day,
                    limits.max_hops,
                )
        with ctx.writing() as session:
            invitation = _open(ctx, session, token, form).invitation
            if colleague is None:
                raise FormErrors(errors)
            theirs = delegate(
                session,
                invitation,
                colleague,
                ctx.app.mail_context(),
                ctx.clock(),
                limits.max_hops,
            )
            signals = [
                invitation_responded(invitation, "delegated", delegate_invitation_id=theirs.id),
            ]
    except FormErrors as exc:
        return _delegate_page(ctx, token, exc.errors, typed, 422)
    except AnswerError as exc:
        # About the colleague's address, or about the invitation (then the form is gone and the
        # message points at the paragraph that says why).
        field = "email" if exc.code in ("self", "already_invited") else "delegation"
        return _delegate_page(ctx, token, {field: exc.code}, typed, _status(exc.code))
    ctx.after_response(background, True, signals)
    return _see(f"/i/{token}?saved=delegated")


# --------------------------------------------------------------------------------------------
# The session's calendar file


@router.get("/i/{token}/session.ics")
def session_calendar(token: str, ctx: Ctx) -> Response:
    with ctx.reading() as session:
        access = resolve(session, token, ctx.clock(), ctx.grace)
        if access is None:
            return not_found(ctx)
        seat = find_seat(session, access.invitation)
        if seat is None or not seat.active:
            return not_found(ctx)
        # The link in the file reuses this token: a GET must not mint (store) a new one.
        input_url = f"{ctx.app.settings.base_url}/i/{token}/input"
        session_id = seat.session.id
        ics = session_ics(
            session,
            ctx.app.mail_context(),
            session_id,
            access.invitation.person_id,
            input_url,
            ctx.clock(),
        )
    return Response(
        ics,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="consult-session-{session_id}.ics"',
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
        },
    )


@router.get("/i/{token}/calendar.ics")
def personal_feed(token: str, ctx: Ctx) -> Response:
    """The invitee's private subscription feed: all their sessions, moved ones at their new
    time, cancelled ones marked cancelled (the link is the personal link itself)."""
    with ctx.reading() as session:
        access = resolve(session, token, ctx.clock(), ctx.grace)
        if access is None:
            return not_found(ctx)
        input_url = f"{ctx.app.settings.base_url}/i/{token}/input"
        ics = person_feed(
            session, ctx.app.mail_context(), access.invitation.person_id, input_url, ctx.clock()
        )
    return Response(
        ics,
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


# --------------------------------------------------------------------------------------------
# Input


class _NoSeat(Exception):
    """The invitee has no (active) session to give input for."""


def _labels(language: str) -> dict[str, str]:
    return {
        "lessons": gettext("Lessons learned", language),
        "proposals": gettext("Proposals", language),
    }


def _input_page(
    ctx: WebContext,
    token: str,
    *,
    saved: str | None = None,
    errors: Mapping[str, str] | None = None,
    typed: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    with ctx.reading() as session:
        access = _open(ctx, session, token, None)
        invitation = access.invitation
        lang = invitation.person.language
        page = input_view(session, invitation, ctx.clock(), _labels(lang), typed)
        notice = None
        if saved in SAVED_ON_INPUT:
            notice = gettext(SAVED_ON_INPUT[saved], lang, deadline=page.input_deadline)
        return ctx.render(
            "web/input.html",
            lang,
            status_code,
            errors=errors,
            page=page,
            notice=notice,
            csrf=csrf_token(ctx.secret, access.token_hash),
            base=f"/i/{token}",
            here="input",
        )


@router.get("/i/{token}/input")
def input_page(token: str, ctx: Ctx, saved: str | None = None) -> Response:
    return _input_page(ctx, token, saved=saved)


@router.post("/i/{token}/input")
def post_input(token: str, form: Form, ctx: Ctx, background: BackgroundTasks) -> Response:
    submit = _field(form, "action") == "submit"
    typed = _fields(form)
    now = ctx.clock()
    try:
        with ctx.writing() as session:
            invitation = _open(ctx, session, token, form).invitation
            seat = find_seat(session, invitation)
            if seat is None or not seat.active:
                raise _NoSeat
            cs = seat.session
            lang = invitation.person.language
            # The phase the form was made for: questions typed before the session ended are
            # still saved when the form is sent just after it.
            posted = _field(form, "phase")
            phase = Phase(posted) if posted in Phase.__members__.values() else phase_at(cs, now)
            fields = form_fields(cs.theme, phase, lang)
            answers, errors = parse_answers(fields, typed)
            if errors:
                raise FormErrors(errors)
            result = save_answers(session, invitation, cs, fields, answers, submit, lang, now)
            if result.changed:
                audit.by_invitee(
                    session,
                    invitation,
                    audit.Action.INPUT_SUBMITTED,
                    {"handed_in": result.submitted_ids, "draft": not submit},
                )
            mail = False
            if result.submitted_ids and result.digest:
                labels = _labels(lang)
                names = [f.question or labels[f.key] for f in fields]
                by_key = dict(zip([f.key for f in fields], names, strict=True))
                mail = queue_input_confirmation(
                    session,
                    ctx.app.mail_context(),
                    invitation,
                    cs.theme,
                    [by_key[k] for k in result.submitted_keys],
                    result.digest,
                )
            signals = _submitted(invitation, result.submitted_ids)
    except FormErrors as exc:
        return _input_page(ctx, token, errors=exc.errors, typed=typed, status_code=422)
    except _NoSeat:
        # Built after the write session ended: on SQLite a second session would wait for it.
        return _input_page(ctx, token, status_code=409)
    except InputClosed:
        return _input_page(ctx, token, errors={"input-closed": "input_closed"}, status_code=409)
    if result.changed:
        ctx.after_response(background, mail, signals)
    return _see(f"/i/{token}/input?saved={'submitted' if submit else 'draft'}")


def _submitted(invitation: Invitation, contribution_ids: Sequence[int]) -> list[Signal]:
    return [
        Signal(
            CONTRIBUTION_SUBMITTED,
            contribution_resource(cid),
            {
                "round_id": invitation.round_id,
                "invitation_id": invitation.id,
                "contribution_id": cid,
            },
            (
                (round_resource(invitation.round_id), "round"),
                (invitation_resource(invitation.id), "invitation"),
            ),
            {ROUND_STATUS_LABEL: invitation.round.status.value},
        )
        for cid in contribution_ids
    ]


# --------------------------------------------------------------------------------------------
# Language


@router.post("/i/{token}/language")
def post_language(token: str, form: Form, ctx: Ctx) -> Response:
    language = _field(form, "language")
    page = PAGES.get(_field(form, "page"), "")
    with ctx.writing() as session:
        invitation = _open(ctx, session, token, form).invitation
        if language in ("nl", "en"):
            # Remembered on the person: later pages and emails use it too.
            invitation.person.language = language
    return _see(f"/i/{token}{page}")
