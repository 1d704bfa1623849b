"""`consult schedule ...`: the optimiser's proposal for a round. Thin: open a unit of work, call
consult.scheduling.proposal, show the result. `preview` never writes (its unit of work is rolled
back)."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from consult.cli_common import console, err
from consult.i18n import AMSTERDAM
from consult.scheduling.model import REASON_TEXT, Solution
from consult.scheduling.optimiser import SolverOptions
from consult.scheduling.proposal import RoundProblem

schedule_app = typer.Typer(
    help="Indeling van sessies met de optimaliseerder: voorstel bekijken.", no_args_is_help=True
)

RoundArg = Annotated[str, typer.Argument(metavar="ROUND", help="Slug van de ronde")]


class _Rollback(Exception):
    """Raised inside the unit of work so a preview can never commit anything."""


@schedule_app.command("preview")
def preview(
    round_slug: RoundArg,
    seed: Annotated[int, typer.Option(help="Random seed of the solver")] = 0,
    budget: Annotated[float, typer.Option(help="Deterministic time limit of the solver")] = 5.0,
) -> None:
    """Show the proposed sessions per theme, their sizes and mix, and who is unplaced and why,
    without changing anything."""
    from consult.rounds.status import UnknownRound, find_round
    from consult.scheduling.proposal import propose
    from consult.wiring import open_app

    with open_app() as app:
        try:
            with app.db.unit_of_work() as session:
                try:
                    round_id = find_round(session, round_slug).id
                except UnknownRound as exc:
                    err.print(f"[bold red]Fout:[/] {escape(str(exc))}")
                    raise typer.Exit(1) from exc
                rp, solution = propose(
                    session,
                    round_id,
                    app.taxonomy,
                    SolverOptions(seed=seed, deterministic_limit=budget),
                )
                raise _Rollback
        except _Rollback:
            pass
    show(rp, solution)


def show(rp: RoundProblem, solution: Solution) -> None:
    people = {p.id: p for p in rp.problem.people}
    console.print(
        f"[bold]{escape(rp.round_name)}[/] ({escape(rp.round_slug)}): voorstel, niet opgeslagen. "
        f"Ingedeeld {len(people) - len(solution.unplaced)}/{len(people)}; "
        f"status {solution.status}, gap {solution.gap:.4%}, {solution.wall_s:.1f} s"
    )
    for rules in rp.problem.themes:
        table = Table(title=f"{rules.slug}: sessies")
        for column in ("start", "groep", "grootte", "sectoren", "regio's"):
            table.add_column(column, justify="right" if column in ("groep", "grootte") else "left")
        for key, members in sorted(solution.groups.items(), key=lambda kv: kv[0].slot_id):
            if key.theme != rules.slug:
                continue
            start = rp.slot_starts[key.slot_id].astimezone(AMSTERDAM)
            sectors = Counter(people[i].sector for i in members)
            regions = Counter(people[i].region for i in members)
            table.add_row(
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
            table.add_row(escape(rp.names[pid]), f"{reason.value}: {REASON_TEXT[reason]}")
        console.print(table)
    for problem in solution.infeasible:
        console.print(
            f"[bold red]Regel niet haalbaar[/] {problem.rule} ({problem.theme or '-'}): "
            f"{escape(problem.message)}; probeer: {escape(problem.suggestion)}"
        )
    for email in rp.unknown_must_place:
        console.print(f"[bold red]must_place zonder geaccepteerde uitnodiging:[/] {escape(email)}")
