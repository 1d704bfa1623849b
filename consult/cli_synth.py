"""`consult synth ...`: measure the synthesis pipeline against labelled data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from consult.cli_common import console, err
from consult.settings import load_settings

synth_app = typer.Typer(help="The synthesis pipeline.", no_args_is_help=True)


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


@synth_app.command("evaluate")
def evaluate_cmd(
    file: Annotated[Path, typer.Argument(help="JSON lines with id, theme, text, gold_block, ...")],
    seeds: Annotated[
        int, typer.Option(min=0, help="Gold-labelled contributions per block given as seeds")
    ] = 0,
    descriptions: Annotated[
        Path | None,
        typer.Option(
            help="blocks.json (id, theme, title, description): given as if staff wrote them"
        ),
    ] = None,
    draws: Annotated[
        int, typer.Option(min=1, help="Draws of seeds, figures averaged (with --seeds)")
    ] = 1,
    as_json: Annotated[
        bool, typer.Option("--json", help="End with one line of JSON figures")
    ] = False,
) -> None:
    """Score the grouping against how people grouped the same contributions."""
    from consult.synthesis.embeddings import load_embedder
    from consult.synthesis.evaluate import (
        LabelledFileError,
        evaluate,
        mean_of,
        read_blocks,
        read_labelled,
    )
    from consult.synthesis.evaluate import as_json as to_json

    try:
        rows = read_labelled(file)
        blocks = read_blocks(descriptions) if descriptions else []
    except OSError as exc:
        name = exc.filename or file
        err.print(f"[bold red]Fout:[/] {escape(str(name))}: {escape(exc.strerror or str(exc))}")
        raise typer.Exit(2) from exc
    except LabelledFileError as exc:
        err.print(f"[bold red]Fout:[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    synthesis = load_settings().synthesis
    embedder = load_embedder(synthesis.embedding_backend, synthesis.embedding_batch_size)
    runs = [
        evaluate(rows, seeds=seeds, embedder=embedder, seed=draw, blocks=blocks)
        for draw in range(draws if seeds else 1)
    ]
    result = mean_of(runs)
    given = f"{seeds} seeds per bouwsteen" + (", beschrijvingen" if blocks else "")
    table = Table(title=f"{file.name}: {len(rows)} bijdragen, {given}")
    columns = (
        "thema",
        "ARI",
        "NMI",
        "V-measure",
        "purity",
        "ingedeeld",
        "te verplaatsen",
        "top-1",
        "top-3",
        "gescoord",
        "tijd (s)",
    )
    for column in columns:
        table.add_column(column, justify="left" if column == "thema" else "right")
    for theme, s in [*result.themes.items(), ("overall", result.overall)]:
        table.add_row(
            theme,
            f"{s.ari:.3f}",
            f"{s.nmi:.3f}",
            f"{s.v_measure:.3f}",
            f"{s.purity:.3f}",
            _share(s.assigned_share),
            _share(s.move_share),
            _share(s.top1),
            _share(s.top3),
            str(s.scored),
            f"{s.seconds:.1f}",
            style="bold" if theme == "overall" else None,
        )
    console.print(table)
    console.print(f"Gemiddelde ARI per thema: [bold]{result.mean_theme_ari:.3f}[/]")
    console.print(escape(result.method.describe("nl")))
    if as_json:
        print(to_json(result))
