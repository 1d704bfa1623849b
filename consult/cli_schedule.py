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

from consult.cli_common import console, err, fail, show_mailing, working

# The solver, SQLAlchemy and the models are imported by the commands that use them, so that
# `consult --help` and the other commands start at once.
if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from consult.scheduling.diff import SessionChanges
    from consult.scheduling.model import Solution
    from consult.scheduling.proposal import RoundProblem
    from consult.wiring import App

schedule_app = typer.Typer(
    help="Indeling van sessies met de optimaliseerder: voorstel bekijken, doorvoeren, "
    "tijdslot schrappen.",
    no_args_is_help=True,
)

RoundArg = Annotated[str, typer.Argument(metavar="ROUND", help="Slug van de ronde")]
SeedOpt = Annotated[int, typer.Option(help="Random seed of the solver")]
BudgetOpt = Annotated[float, typer.Option(help="Deterministic time limit of the solver")]

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


@schedule_app.command("preview")
def preview(round_slug: RoundArg, seed: SeedOpt = 0, budget: BudgetOpt = 5.0) -> None:
    """Show the proposed sessions per theme, their sizes and mix, who is unplaced and why, and
    what would change compared with the sessions planned now, without changing anything."""
    from consult.app import scheduling
    from consult.scheduling.optimiser import SolverOptions
    from models.base import utcnow

    def work(
        app: App, session: Session, round_id: int
    ) -> tuple[RoundProblem, Solution, SessionChanges]:
        options = SolverOptions(seed=seed, deterministic_limit=budget)
        return scheduling.preview(session, app, round_id, utcnow(), options)

    with working("Voorstel berekenen"):
        rp, solution, changes = _in_round(round_slug, work, commit=False)
    show(rp, solution, changes, saved=False)


@schedule_app.command("apply")
def apply(round_slug: RoundArg, seed: SeedOpt = 0, budget: BudgetOpt = 5.0) -> None:
    """Commit the optimiser's plan and send the calendar invitations, updates and
    cancellations it needs. After a late decline, a withdrawn slot or a late acceptance it
    moves as few people as possible."""
    _apply(round_slug, seed, budget)


@schedule_app.command("cancel-slot")
def cancel_slot(
    round_slug: RoundArg,
    slot: Annotated[int, typer.Argument(metavar="SLOT", help="Id of the candidate slot")],
    seed: SeedOpt = 0,
    budget: BudgetOpt = 5.0,
) -> None:
    """Withdraw a candidate slot: its sessions are cancelled, their people placed elsewhere
    where possible, and everyone affected gets the calendar message for it."""
    from consult.app import scheduling
    from consult.rounds.placement import UnknownSlot

    def work(app: App, session: Session, round_id: int) -> bool:
        try:
            return scheduling.withdraw_slot(session, round_id, slot)
        except UnknownSlot as exc:
            raise fail(str(exc)) from exc

    if not _in_round(round_slug, work, commit=True):
        err.print(f"Tijdslot {slot} was al geschrapt.")
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

    with working("Indeling berekenen en opslaan"):
        result, round_id = _in_round(round_slug, work, commit=True)
    show(result.proposal, result.solution, result.changes, saved=True)
    ctx = current()
    with working("Agendaberichten versturen"):
        mailing = asyncio.run(send_calendar_invites(ctx, round_id, utcnow()))
    show_mailing(ctx, "Agendaberichten", *mailing)


def show(rp: RoundProblem, solution: Solution, changes: SessionChanges, *, saved: bool) -> None:
    from consult.i18n import AMSTERDAM
    from consult.scheduling.model import reason_text

    people = {p.id: p for p in rp.problem.people}
    state = "opgeslagen" if saved else "voorstel, niet opgeslagen"
    console.print(
        f"[bold]{escape(rp.round_name)}[/] ({escape(rp.round_slug)}): {state}. "
        f"Ingedeeld {len(people) - len(solution.unplaced)}/{len(people)}; "
        f"status {solution.status}, gap {solution.gap:.4%}, {solution.wall_s:.1f} s"
    )
    for rules in rp.problem.themes:
        table = Table(title=f"{rules.slug}: sessies")
        for column in ("tijdslot", "start", "groep", "grootte", "sectoren", "regio's"):
            numeric = column in ("tijdslot", "groep", "grootte")
            table.add_column(column, justify="right" if numeric else "left")
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
        table = Table(title="Niet ingedeeld")
        table.add_column("persoon")
        table.add_column("reden")
        for pid, reason in sorted(solution.unplaced.items()):
            table.add_row(escape(rp.names[pid]), f"{reason.value}: {reason_text(reason)}")
        console.print(table)
    for problem in solution.infeasible:
        console.print(
            f"[bold red]Regel niet haalbaar[/] {problem.rule} ({problem.theme or '-'}): "
            f"{escape(problem.message)}; probeer: {escape(problem.suggestion)}"
        )
    for email in rp.unknown_must_place:
        console.print(f"[bold red]must_place zonder geaccepteerde uitnodiging:[/] {escape(email)}")
    _show_changes(rp, changes, saved=saved)


def _show_changes(rp: RoundProblem, changes: SessionChanges, *, saved: bool) -> None:
    from consult.scheduling.diff import changed_calendars

    if changes.empty:
        console.print("Wijzigingen: geen; niemand krijgt een agendabericht.")
        return
    verb = "" if saved else " (bij doorvoeren)"
    new_people = sum(len(s.members) for s in changes.create)
    console.print(
        f"Wijzigingen{verb}: {len(changes.create)} nieuwe sessie(s) met {new_people} "
        f"deelnemer(s), {len(changes.cancel)} geannuleerd, {len(changes.join)} erbij in een "
        f"bestaande sessie, {len(changes.leave)} eruit."
    )
    if rp.running:
        staying = {p.id for p in rp.problem.people}
        changed = len(changed_calendars(rp.running, changes, staying))
        console.print(
            f"Bestaande deelnemers met een gewijzigde agenda: {changed} "
            f"(existing participants whose calendar changes)."
        )
    if changes.leave:
        table = Table(title="Uit een sessie gehaald (krijgen een annulering)")
        table.add_column("sessie", justify="right")
        table.add_column("persoon")
        for session_id, pid in changes.leave:
            table.add_row(str(session_id), escape(rp.names.get(pid, str(pid))))
        console.print(table)
