"""`consult schedule ...`: the optimiser's plan for a round. Thin: open a unit of work, call
consult.scheduling, show the result. `preview` never writes (its unit of work is rolled back);
`apply` and `cancel-slot` commit and then send the calendar messages the change needs."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.markup import escape
from rich.table import Table

from consult.cli_common import RoundArg, console, err, fail, show_mailing, working
from consult.i18n import gettext as _
from consult.i18n import ngettext, pgettext

# The solver, SQLAlchemy and the models are imported by the commands that use them, so that
# `consult --help` and the other commands start at once.
if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from consult.scheduling.diff import SessionChanges
    from consult.scheduling.model import Solution
    from consult.scheduling.proposal import RoundProblem
    from consult.wiring import App

schedule_app = typer.Typer(
    help=_(
        "Scheduling of sessions with the optimiser: view the proposal, apply it, withdraw a slot."
    ),
    no_args_is_help=True,
)

SeedOpt = Annotated[int, typer.Option(help=_("Random seed of the solver"))]
BudgetOpt = Annotated[float, typer.Option(help=_("Deterministic time limit of the solver"))]

T = TypeVar("T")


class _Rollback(Exception):
    """Raised inside the unit of work so a preview can never commit anything."""


def _in_round(round_slug: str, work: Callable[[App, Session, int], T], *, commit: bool) -> T:
    """Run `work(app, session, round_id)` in one unit of work; roll back unless `commit`."""
    from consult.app.context import current
    from consult.app.status import UnknownRound, find_round

    result: list[T] = []
    app = current()
    try:
        with app.db.unit_of_work() as session:
            try:
                round_id = find_round(session, round_slug).id
            except UnknownRound as exc:
                raise fail(str(exc)) from exc
            result.append(work(app, session, round_id))
            if not commit:
                raise _Rollback
    except _Rollback:
        pass
    return result[0]


@schedule_app.command(
    "preview",
    help=_(
        "Show the proposed sessions per theme, their sizes and mix, who is unplaced and why, and "
        "what would change compared with the sessions planned now, without changing anything."
    ),
)
def preview(round_slug: RoundArg, seed: SeedOpt = 0, budget: BudgetOpt = 5.0) -> None:
    from consult.app import scheduling
    from consult.scheduling.optimiser import SolverOptions
    from models.base import utcnow

    def work(
        app: App, session: Session, round_id: int
    ) -> tuple[RoundProblem, Solution, SessionChanges]:
        options = SolverOptions(seed=seed, deterministic_limit=budget)
        return scheduling.preview(session, app, round_id, utcnow(), options)

    with working(_("Computing the proposal")):
        rp, solution, changes = _in_round(round_slug, work, commit=False)
    show(rp, solution, changes, saved=False)


@schedule_app.command(
    "apply",
    help=_(
        "Commit the optimiser's plan and send the calendar invitations, updates and "
        "cancellations it needs. After a late decline, a withdrawn slot or a late acceptance it "
        "moves as few people as possible."
    ),
)
def apply(round_slug: RoundArg, seed: SeedOpt = 0, budget: BudgetOpt = 5.0) -> None:
    _apply(round_slug, seed, budget)


@schedule_app.command(
    "cancel-slot",
    help=_(
        "Withdraw a candidate slot: its sessions are cancelled, their people placed elsewhere "
        "where possible, and everyone affected gets the calendar message for it."
    ),
)
def cancel_slot(
    round_slug: RoundArg,
    slot: Annotated[int, typer.Argument(metavar=_("SLOT"), help=_("Id of the candidate slot"))],
    seed: SeedOpt = 0,
    budget: BudgetOpt = 5.0,
) -> None:
    from consult.app import scheduling
    from consult.rounds.placement import UnknownSlot

    def work(app: App, session: Session, round_id: int) -> bool:
        try:
            return scheduling.withdraw_slot(session, round_id, slot)
        except UnknownSlot as exc:
            raise fail(str(exc)) from exc

    if not _in_round(round_slug, work, commit=True):
        err.print(_("Slot %(slot)s was withdrawn already.", slot=slot))
    _apply(round_slug, seed, budget)


def _apply(round_slug: str, seed: int, budget: float) -> None:
    from consult.app import scheduling
    from consult.app.calendar import send_calendar_invites
    from consult.app.context import current
    from consult.rounds.placement import ScheduleResult
    from consult.scheduling.optimiser import SolverOptions
    from models.base import utcnow

    def work(app: App, session: Session, round_id: int) -> tuple[ScheduleResult, int]:
        options = SolverOptions(seed=seed, deterministic_limit=budget)
        return scheduling.schedule(session, app, round_id, utcnow(), options), round_id

    with working(_("Computing and saving the schedule")):
        result, round_id = _in_round(round_slug, work, commit=True)
    show(result.proposal, result.solution, result.changes, saved=True)
    ctx = current()
    with working(_("Sending calendar messages")):
        mailing = asyncio.run(send_calendar_invites(ctx, round_id, utcnow()))
    show_mailing(ctx, _("Calendar messages"), *mailing)


def show(rp: RoundProblem, solution: Solution, changes: SessionChanges, *, saved: bool) -> None:
    from consult.i18n import AMSTERDAM
    from consult.scheduling.model import reason_text

    people = {p.id: p for p in rp.problem.people}
    state = pgettext("schedule", "saved") if saved else _("proposal, not saved")
    name, gap, seconds = f"[bold]{escape(rp.round_name)}[/]", f"{solution.gap:.4%}", solution.wall_s
    console.print(
        _(
            "%(round)s (%(slug)s): %(state)s. Scheduled %(placed)s/%(people)s; status "
            "%(status)s, gap %(gap)s, %(seconds).1f s",
            round=name,
            slug=escape(rp.round_slug),
            state=state,
            placed=len(people) - len(solution.unplaced),
            people=len(people),
            status=solution.status,
            gap=gap,
            seconds=seconds,
        )
    )
    for rules in rp.problem.themes:
        table = Table(title=_("%(theme)s: sessions", theme=rules.slug))
        table.add_column(pgettext("schedule column", "slot"), justify="right")
        table.add_column(pgettext("schedule column", "start"))
        table.add_column(pgettext("schedule column", "group"), justify="right")
        table.add_column(pgettext("schedule column", "size"), justify="right")
        table.add_column(pgettext("schedule column", "sectors"))
        table.add_column(pgettext("schedule column", "regions"))
        for key, members in sorted(solution.groups.items(), key=lambda kv: kv[0].slot_id):
            if key.theme != rules.slug:
                continue
            start = rp.slot_starts[key.slot_id].astimezone(AMSTERDAM)
            sectors = Counter(people[i].sector for i in members)
            regions = Counter(people[i].region for i in members)
            table.add_row(
                str(key.slot_id),
                f"{start:%Y-%m-%d %H:%M}",
                str(key.index + 1),
                str(len(members)),
                escape(", ".join(f"{s} {n}" for s, n in sorted(sectors.items()))),
                escape(", ".join(f"{r} {n}" for r, n in sorted(regions.items()))),
            )
        console.print(table)
    if solution.unplaced:
        table = Table(title=_("Not scheduled"))
        table.add_column(pgettext("schedule column", "person"))
        table.add_column(pgettext("schedule column", "reason"))
        for pid, reason in sorted(solution.unplaced.items()):
            table.add_row(escape(rp.names[pid]), f"{reason.value}: {reason_text(reason)}")
        console.print(table)
    for problem in solution.infeasible:
        said = _(
            "%(rule)s (%(theme)s): %(problem)s; try: %(suggestion)s",
            rule=problem.rule,
            theme=problem.theme or "-",
            problem=escape(problem.message),
            suggestion=escape(problem.suggestion),
        )
        console.print("[bold red]" + _("Rule cannot be met") + "[/] " + said)
    for email in rp.unknown_must_place:
        heading = _("must_place without an accepted invitation:")
        console.print(f"[bold red]{heading}[/] {escape(email)}")
    _show_changes(rp, changes, saved=saved)


def _show_changes(rp: RoundProblem, changes: SessionChanges, *, saved: bool) -> None:
    from consult.scheduling.diff import changed_calendars

    if changes.empty:
        console.print(_("Changes: none; nobody gets a calendar message."))
        return
    new_people = sum(len(s.members) for s in changes.create)
    console.print(
        _(
            "%(changes)s: %(sessions)s with %(people)s, %(cancelled)s cancelled, %(joined)s added "
            "to an existing session, %(left)s taken out.",
            changes=_("Changes") if saved else _("Changes (when applied)"),
            sessions=ngettext("%(num)s new session", "%(num)s new sessions", len(changes.create)),
            people=ngettext("%(num)s participant", "%(num)s participants", new_people),
            cancelled=len(changes.cancel),
            joined=len(changes.join),
            left=len(changes.leave),
        )
    )
    if rp.running:
        staying = {p.id for p in rp.problem.people}
        changed = len(changed_calendars(rp.running, changes, staying))
        console.print(_("Existing participants whose calendar changes: %(count)s", count=changed))
    if changes.leave:
        table = Table(title=_("Taken out of a session (they get a cancellation)"))
        table.add_column(pgettext("schedule column", "session"), justify="right")
        table.add_column(pgettext("schedule column", "person"))
        for session_id, pid in changes.leave:
            table.add_row(str(session_id), escape(rp.names.get(pid, str(pid))))
        console.print(table)
