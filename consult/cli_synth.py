"""`consult synth ...`: measure the synthesis pipeline against labelled data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from consult.cli_common import console, fail
from consult.i18n import current_language, ngettext, pgettext
from consult.i18n import gettext as _
from consult.settings import load_settings

synth_app = typer.Typer(help=_("The synthesis pipeline."), no_args_is_help=True)


@synth_app.callback()
def synth() -> None:
    # A group with one command is otherwise collapsed into that command: `consult synth
    # evaluate FILE` would be refused and only `consult synth FILE` work.
    pass


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


@synth_app.command(
    "evaluate",
    help=_("Score the grouping against how people grouped the same contributions."),
)
def evaluate_cmd(
    file: Annotated[
        Path,
        typer.Argument(
            metavar=_("FILE"), help=_("JSON lines with id, theme, text, gold_block, ...")
        ),
    ],
    seeds: Annotated[
        int, typer.Option(min=0, help=_("Gold-labelled contributions per block given as seeds"))
    ] = 0,
    descriptions: Annotated[
        Path | None,
        typer.Option(
            help=_("blocks.json (id, theme, title, description): given as if staff wrote them")
        ),
    ] = None,
    draws: Annotated[
        int, typer.Option(min=1, help=_("Draws of seeds, figures averaged (with --seeds)"))
    ] = 1,
    as_json: Annotated[
        bool, typer.Option("--json", help=_("End with one line of JSON figures"))
    ] = False,
) -> None:
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
        raise fail(f"{exc.filename or file}: {exc.strerror or exc}", 2) from exc
    except LabelledFileError as exc:
        raise fail(str(exc), 2) from exc
    synthesis = load_settings().synthesis
    embedder = load_embedder(synthesis.embedding_backend, synthesis.embedding_batch_size)
    runs = [
        evaluate(rows, seeds=seeds, embedder=embedder, seed=draw, blocks=blocks)
        for draw in range(draws if seeds else 1)
    ]
    result = mean_of(runs)
    given = ngettext("%(num)s seed per building block", "%(num)s seeds per building block", seeds)
    if blocks:
        given = _("%(seeds)s, descriptions", seeds=given)
    contributions = ngettext("%(num)s contribution", "%(num)s contributions", len(rows))
    table = Table(title=f"{escape(file.name)}: {contributions}, {given}")
    table.add_column(pgettext("evaluation column", "theme"))
    # The measures' own names, in any language.
    for measure in ("ARI", "NMI", "V-measure", "purity"):
        table.add_column(measure, justify="right")
    for column in (
        pgettext("evaluation column", "assigned"),
        pgettext("evaluation column", "to move"),
        "top-1",
        "top-3",
        pgettext("evaluation column", "scored"),
        pgettext("evaluation column", "time (s)"),
    ):
        table.add_column(column, justify="right")
    overall = pgettext("evaluation", "overall")
    for theme, s in [*result.themes.items(), (overall, result.overall)]:
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
            style="bold" if s is result.overall else None,
        )
    console.print(table)
    mean = f"[bold]{result.mean_theme_ari:.3f}[/]"
    console.print(_("Mean ARI per theme: %(ari)s", ari=mean))
    console.print(escape(result.method.describe(current_language())))
    if as_json:
        print(to_json(result))
