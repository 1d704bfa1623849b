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


@synth_app.command("evaluate")
def evaluate_cmd(
    file: Annotated[Path, typer.Argument(help="JSON lines with id, theme, text, gold_block, ...")],
    seeds: Annotated[
        int, typer.Option(min=0, help="Gold-labelled contributions per block given as seeds")
    ] = 0,
    as_json: Annotated[
        bool, typer.Option("--json", help="End with one line of JSON figures")
    ] = False,
    embedding_model: Annotated[
        Path | None,
        typer.Option(help="Local sentence-transformers folder (default: from settings)"),
    ] = None,
) -> None:
    """Score the grouping against how people grouped the same contributions."""
    from consult.synthesis.embeddings import EmbeddingModelError, load_embedder
    from consult.synthesis.evaluate import LabelledFileError, evaluate, read_labelled
    from consult.synthesis.evaluate import as_json as to_json

    try:
        rows = read_labelled(file)
    except OSError as exc:
        err.print(f"[bold red]Fout:[/] {escape(str(file))}: {escape(exc.strerror or str(exc))}")
        raise typer.Exit(2) from exc
    except LabelledFileError as exc:
        err.print(f"[bold red]Fout:[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    synthesis = load_settings().synthesis
    try:
        embedder = load_embedder(
            embedding_model or synthesis.embedding_model_dir, synthesis.embedding_batch_size
        )
    except EmbeddingModelError as exc:
        err.print(f"[bold red]Fout:[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    results = evaluate(rows, seeds=seeds, embedder=embedder)
    table = Table(title=f"{file.name}: {len(rows)} bijdragen, {seeds} seeds per bouwsteen")
    for column in (
        "thema",
        "ARI",
        "NMI",
        "V-measure",
        "purity",
        "ingedeeld",
        "gescoord",
        "tijd (s)",
    ):
        table.add_column(column, justify="left" if column == "thema" else "right")
    for theme, s in results.items():
        table.add_row(
            theme,
            f"{s.ari:.3f}",
            f"{s.nmi:.3f}",
            f"{s.v_measure:.3f}",
            f"{s.purity:.3f}",
            f"{s.assigned_share:.0%}",
            str(s.scored),
            f"{s.seconds:.1f}",
            style="bold" if theme == "overall" else None,
        )
    console.print(table)
    if as_json:
        print(to_json(results))
