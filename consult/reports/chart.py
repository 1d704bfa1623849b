"""The coverage chart of a theme: how many distinct contributors of each invited sector stand
behind each building block, so staff see at a glance which sectors carry a block and which
were not heard."""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

from consult.i18n import gettext
from consult.reports.content import ThemeSection
from consult.reports.labels import block_label

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# The picture is laid out in pixels at a fixed dpi, so its size depends only on the number of
# sectors and blocks: the same report always gives the same image size, whatever the machine.
DPI = 150
WIDTH_PX = 1200  # 8 inch; Word shrinks it to the 16 cm text width, fonts stay legible
LEFT_PX = 330  # sector names, wrapped to two lines
RIGHT_PX = 30
TITLE_PX = 84  # the chart title and, under it, the theme
HEADER_PX = 34  # the B1, B2, ... column labels above the grid
ROW_PX = 44
GAP_PX = 24
LEGEND_LINE_PX = 30
BOTTOM_PX = 16

_ZERO_COLOUR = "#eeeeee"
_DARK_TEXT = "#1a1a1a"
_GREY_TEXT = "#7a7a7a"


def chart_size(sectors: int, blocks: int) -> tuple[int, int]:
    """Width and height in pixels of the chart for this many sector rows and block columns
    (the legend under the grid has a line per block plus one explaining the zeros)."""
    height = (
        TITLE_PX
        + HEADER_PX
        + ROW_PX * max(sectors, 1)
        + GAP_PX
        + LEGEND_LINE_PX * (blocks + 1)
        + BOTTOM_PX
    )
    return WIDTH_PX, height


def chart_filename(theme_slug: str) -> str:
    """The PNG's file name next to the report; the slug is ours, but a file name must never
    be able to step out of the report folder."""
    return f"coverage-{re.sub(r'[^A-Za-z0-9_-]', '-', theme_slug)}.png"


def chart_rows(section: ThemeSection, sector_names: Sequence[str]) -> list[str]:
    """All invited sectors in the report's order; a sector that contributed without being
    invited (possible when the registry changed mid-round) is added at the end rather than
    silently dropped from the picture."""
    rows = list(sector_names)
    for block in section.blocks:
        for name, _ in block.support.sectors:
            if name not in rows:
                rows.append(name)
    return rows


def coverage_matrix(section: ThemeSection, rows: Sequence[str]) -> list[list[int]]:
    """Distinct contributors per sector (row) and block (column)."""
    per_block = [dict(block.support.sectors) for block in section.blocks]
    return [[counts.get(sector, 0) for counts in per_block] for sector in rows]


def coverage_chart(section: ThemeSection, sector_names: Sequence[str], language: str) -> bytes:
    """A PNG heat map: rows are sectors, columns the theme's blocks (B1, B2, ... with their
    titles in a legend), each cell the number of distinct contributors of that sector."""
    if not section.blocks:
        raise ValueError(f"theme {section.slug!r} has no building blocks to chart")
    # Imported here, not at module level: importing matplotlib reads its rc file and font
    # cache, and the house rule is no I/O at import time.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = chart_rows(section, sector_names)
    matrix = coverage_matrix(section, rows)
    width, height = chart_size(len(rows), len(section.blocks))
    # A bare Figure with an explicit Agg canvas, never pyplot: pyplot keeps global state and is
    # not safe when several flows render reports in threads of one worker.
    figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    _draw(figure, section, rows, matrix, language, width, height)
    buffer = io.BytesIO()
    # No bbox_inches="tight": it would make the size depend on the text drawn.
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _draw(
    figure: Figure,
    section: ThemeSection,
    rows: Sequence[str],
    matrix: Sequence[Sequence[int]],
    language: str,
    width: int,
    height: int,
) -> None:
    from matplotlib import colormaps
    from matplotlib.colors import to_rgba

    blocks = len(section.blocks)
    grid_top = height - TITLE_PX - HEADER_PX
    grid_height = ROW_PX * max(len(rows), 1)
    axes = figure.add_axes(
        (
            LEFT_PX / width,
            (grid_top - grid_height) / height,
            (width - LEFT_PX - RIGHT_PX) / width,
            grid_height / height,
        )
    )
    peak = max((v for row in matrix for v in row), default=0) or 1
    # One blue hue that darkens with the count reads well in greyscale print and for
    # colour-blind readers; zero is a flat grey so a silent sector stands out.
    blues = colormaps["Blues"]
    cells = [
        [to_rgba(_ZERO_COLOUR) if v == 0 else blues(0.25 + 0.7 * v / peak) for v in row]
        for row in matrix
    ]
    axes.imshow(
        cells if rows else [[to_rgba(_ZERO_COLOUR)]],
        aspect="auto",
        interpolation="nearest",
    )
    for r, row in enumerate(matrix):
        for c, value in enumerate(row):
            dark = value / peak > 0.55
            axes.text(
                c,
                r,
                str(value),
                ha="center",
                va="center",
                fontsize=9,
                fontweight="bold" if value else "normal",
                color="white" if dark else (_DARK_TEXT if value else _GREY_TEXT),
            )
    axes.set_xticks(range(blocks), [block_label(i) for i in range(blocks)], fontsize=9)
    axes.set_yticks(
        range(len(rows)), [textwrap.fill(name, 34, max_lines=2) for name in rows], fontsize=8
    )
    axes.xaxis.tick_top()
    axes.tick_params(length=0)
    # White lines between the cells, so neighbouring cells of the same shade stay apart.
    axes.set_xticks([x - 0.5 for x in range(blocks + 1)], minor=True)
    axes.set_yticks([y - 0.5 for y in range(len(rows) + 1)], minor=True)
    axes.grid(which="minor", color="white", linewidth=2)
    axes.tick_params(which="minor", length=0)
    for spine in axes.spines.values():
        spine.set_visible(False)

    figure.text(
        12 / width,
        1 - 12 / height,
        gettext("Contributors per sector and building block", language),
        ha="left",
        va="top",
        fontsize=12,
        fontweight="bold",
        color="#00405f",
    )
    figure.text(
        12 / width,
        1 - 46 / height,
        textwrap.shorten(section.title, 100, placeholder=" …"),
        ha="left",
        va="top",
        fontsize=10,
        color=_DARK_TEXT,
    )
    legend_top = grid_top - grid_height - GAP_PX
    lines = [
        f"{block_label(i)}  {textwrap.shorten(block.title, 110, placeholder=' …')}"
        for i, block in enumerate(section.blocks)
    ]
    lines.append(gettext("0 = no input from this sector", language))
    for i, line in enumerate(lines):
        figure.text(
            12 / width,
            (legend_top - i * LEGEND_LINE_PX) / height,
            line,
            ha="left",
            va="top",
            fontsize=8.5,
            color=_GREY_TEXT if i == len(lines) - 1 else _DARK_TEXT,
        )
