"""Score the pipeline against a labelled file: how well do its groups match people's?

Each line of the file is a JSON object with id, theme, kind, text, language, sector, region,
quote_permission and gold_block. With seeds, K contributions per gold block are given to the
pipeline as staff placements would be, and only the others are scored. An unassigned
contribution counts as a group of its own, so leaving things out is never rewarded.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import (
    adjusted_rand_score,
    homogeneity_completeness_v_measure,
    normalized_mutual_info_score,
)

from consult.i18n import gettext as _
from consult.synthesis.embeddings import Embedder, Method, method_of
from consult.synthesis.features import Corpus
from consult.synthesis.pipeline import Params, Unit, corpus_of, run

REQUIRED = ("id", "theme", "text", "gold_block")


class LabelledFileError(ValueError):
    pass


@dataclass(frozen=True)
class Labelled:
    id: str
    theme: str
    text: str
    language: str
    sector: str
    region: str
    quotable: bool
    gold: str


@dataclass(frozen=True)
class GoldBlock:
    """A block of the labelled set as if staff had described it (blocks.json)."""

    id: str
    theme: str
    title: str
    description: str


@dataclass(frozen=True)
class Scores:
    ari: float
    nmi: float
    v_measure: float
    purity: float
    assigned_share: float
    scored: int
    seconds: float
    # Share of contributions staff would have to move (or place) to reach people's grouping.
    move_share: float = 0.0
    # Share whose own block is the first / among the first three suggestions; None when the
    # blocks are not known to the pipeline (no seeds, no descriptions).
    top1: float | None = None
    top3: float | None = None


@dataclass(frozen=True)
class Evaluation:
    themes: dict[str, Scores]
    overall: Scores
    method: Method
    seeds: int
    described: bool
    draws: int = 1

    @property
    def mean_theme_ari(self) -> float:
        """The headline: blocks never span themes, so ARI over all themes together is
        inflated by the theme split, which is given."""
        values = [s.ari for s in self.themes.values() if s.scored]
        return sum(values) / len(values) if values else 0.0


def read_labelled(path: Path) -> list[Labelled]:
    rows: list[Labelled] = []
    problems: list[str] = []
    with path.open(encoding="utf-8-sig") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(
                    _("line %(line)s: not valid JSON (%(reason)s)", line=number, reason=exc.msg)
                )
                continue
            # Present and not blank: an id or gold_block of 0 is a value, not a missing one.
            missing = [
                k
                for k in REQUIRED
                if not isinstance(record, dict)
                or record.get(k) is None
                or str(record[k]).strip() == ""
            ]
            if missing:
                problems.append(
                    _("line %(line)s: missing %(fields)s", line=number, fields=", ".join(missing))
                )
                continue
            rows.append(
                Labelled(
                    id=str(record["id"]),
                    theme=str(record["theme"]),
                    text=str(record["text"]),
                    language="en" if record.get("language") == "en" else "nl",
                    sector=str(record.get("sector", "")),
                    region=str(record.get("region", "")),
                    quotable=record.get("quote_permission") != "not_quotable",
                    gold=str(record["gold_block"]),
                )
            )
    if problems:
        raise LabelledFileError(f"{path}: " + "; ".join(problems[:20]))
    if not rows:
        raise LabelledFileError(_("%(path)s: no contributions found", path=path))
    return rows


def purity(gold: Sequence[str], predicted: Sequence[str]) -> float:
    by_cluster: dict[str, Counter[str]] = defaultdict(Counter)
    for g, p in zip(gold, predicted, strict=True):
        by_cluster[p][g] += 1
    return sum(c.most_common(1)[0][1] for c in by_cluster.values()) / len(gold)


def read_blocks(path: Path) -> list[GoldBlock]:
    """The labelled set's blocks.json: a list of {id, theme, title, description}."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise LabelledFileError(
            _("%(path)s: not valid JSON (%(reason)s)", path=path, reason=exc.msg)
        ) from exc
    if not isinstance(data, list):
        raise LabelledFileError(_("%(path)s: expected a list of building blocks", path=path))
    blocks: list[GoldBlock] = []
    for n, item in enumerate(data, start=1):
        if not isinstance(item, dict) or not all(
            str(item.get(k, "")).strip() for k in ("id", "theme", "description")
        ):
            raise LabelledFileError(
                _(
                    "%(path)s: building block %(number)s: id, theme or description missing",
                    path=path,
                    number=n,
                )
            )
        blocks.append(
            GoldBlock(
                str(item["id"]),
                str(item["theme"]),
                str(item.get("title", "")),
                str(item["description"]),
            )
        )
    return blocks


def move_share(gold: Sequence[str], predicted: Sequence[str | None]) -> float:
    """The share of contributions staff would have to move to turn the predicted grouping
    into the gold one: each predicted group is matched with at most one gold block so that
    as many contributions as possible stay; the rest, and every unplaced one (None), move."""
    if not gold:
        return 0.0
    pairs = [(g, p) for g, p in zip(gold, predicted, strict=True) if p is not None]
    if not pairs:
        return 1.0
    golds = sorted({g for g, _ in pairs})
    groups = sorted({p for _, p in pairs})
    table = np.zeros((len(groups), len(golds)))
    for g, p in pairs:
        table[groups.index(p), golds.index(g)] += 1
    rows, cols = linear_sum_assignment(-table)
    return 1.0 - float(table[rows, cols].sum()) / len(gold)


def top_k(gold: Sequence[str], ranked: Sequence[Sequence[str]], k: int) -> float | None:
    """Share of contributions whose gold block is among the first k suggested."""
    if not gold:
        return None
    return sum(g in list(r)[:k] for g, r in zip(gold, ranked, strict=True)) / len(gold)


def score(
    gold: Sequence[str],
    predicted: Sequence[str],
    assigned: int,
    seconds: float,
    placed: Sequence[str | None] | None = None,
    ranked: Sequence[Sequence[str]] | None = None,
) -> Scores:
    """`predicted` gives every contribution a label (an unplaced one a label of its own);
    `placed` the same with None for unplaced ones; `ranked` the suggested gold blocks."""
    if not gold:
        # Every contribution of the theme was a seed: nothing left to score.
        return Scores(0.0, 0.0, 0.0, 0.0, 0.0, 0, seconds)
    v = homogeneity_completeness_v_measure(gold, predicted)[2]
    return Scores(
        ari=float(adjusted_rand_score(gold, predicted)),
        nmi=float(normalized_mutual_info_score(gold, predicted)),
        v_measure=float(v),
        purity=purity(gold, predicted),
        assigned_share=assigned / len(gold),
        scored=len(gold),
        seconds=seconds,
        move_share=move_share(gold, placed if placed is not None else predicted),
        top1=top_k(gold, ranked, 1) if ranked is not None else None,
        top3=top_k(gold, ranked, 3) if ranked is not None else None,
    )


@dataclass
class Predicted:
    gold: list[str]
    labels: list[str]
    placed: list[str | None]
    ranked: list[list[str]] | None
    assigned: int


GOLD = "gold:"


def predict_theme(
    rows: Sequence[Labelled],
    seeds: int,
    params: Params,
    embedder: Embedder | None,
    rng: random.Random,
    corpus: Corpus | None = None,
    blocks: Sequence[GoldBlock] = (),
) -> Predicted:
    """The scored rows of one theme: gold and predicted labels, and suggested gold blocks."""
    units = _units(rows)
    anchors: dict[str, list[int]] = defaultdict(list)
    if seeds:
        by_gold: dict[str, list[int]] = defaultdict(list)
        for i, r in enumerate(rows):
            by_gold[r.gold].append(i)
        for gold_block, ids in sorted(by_gold.items()):
            anchors[GOLD + gold_block] = rng.sample(ids, min(seeds, len(ids)))
    # As staff would write it: the title says what the block is, the description how.
    described = {GOLD + b.id: f"{b.title}. {b.description}".strip(". ") for b in blocks}
    outcome = run(units, anchors, params, embedder, corpus=corpus, described=described)
    label: dict[int, str] = dict(outcome.joined)
    for n, group in enumerate(outcome.groups):
        label.update({i: f"new:{n}" for i in group.unit_ids})
    seeded = {i for ids in anchors.values() for i in ids}
    known = bool(anchors or described)
    out = Predicted([], [], [], [] if known else None, 0)
    for i, r in enumerate(rows):
        if i in seeded:
            continue
        out.gold.append(r.gold)
        out.labels.append(label.get(i, f"unassigned:{i}"))
        out.placed.append(label.get(i))
        if out.ranked is not None:
            suggested = outcome.suggestions.get(i, ())
            out.ranked.append([k[len(GOLD) :] for k, _ in suggested if k.startswith(GOLD)])
    out.assigned = sum(i in label for i in range(len(rows)) if i not in seeded)
    return out


def _units(rows: Sequence[Labelled]) -> list[Unit]:
    return [
        Unit(i, r.text, r.language, r.quotable, contributor=r.id, sector=r.sector)
        for i, r in enumerate(rows)
    ]


def evaluate(
    rows: Sequence[Labelled],
    seeds: int = 0,
    params: Params | None = None,
    embedder: Embedder | None = None,
    seed: int = 0,
    blocks: Sequence[GoldBlock] = (),
) -> Evaluation:
    """Scores per theme and overall (all themes together; a group never spans themes).
    `blocks` are given to the pipeline as staff-written descriptions."""
    params = params or Params()
    rng = random.Random(seed)
    themes: dict[str, Scores] = {}
    every = Predicted([], [], [], [] if (seeds or blocks) else None, 0)
    started_all = time.perf_counter()
    # The file is one round: word weights and embedding statistics come from all of it, as
    # the service takes them from all contributions of a round (labels play no part).
    corpus = corpus_of(_units(rows), embedder)
    for theme in sorted({r.theme for r in rows}):
        theme_rows = [r for r in rows if r.theme == theme]
        theme_blocks = [b for b in blocks if b.theme == theme]
        started = time.perf_counter()
        p = predict_theme(theme_rows, seeds, params, embedder, rng, corpus, theme_blocks)
        seconds = time.perf_counter() - started
        themes[theme] = score(p.gold, p.labels, p.assigned, seconds, p.placed, p.ranked)
        every.gold.extend(f"{theme}/{g}" for g in p.gold)
        every.labels.extend(f"{theme}/{x}" for x in p.labels)
        every.placed.extend(None if x is None else f"{theme}/{x}" for x in p.placed)
        if every.ranked is not None and p.ranked is not None:
            every.ranked.extend([f"{theme}/{x}" for x in r] for r in p.ranked)
        every.assigned += p.assigned
    overall = score(
        every.gold,
        every.labels,
        every.assigned,
        time.perf_counter() - started_all,
        every.placed,
        every.ranked,
    )
    return Evaluation(themes, overall, method_of(embedder), seeds, bool(blocks))


def mean_of(runs: Sequence[Evaluation]) -> Evaluation:
    """Several draws of seeds averaged, figure by figure."""
    first = runs[0]

    def avg(items: Sequence[Scores]) -> Scores:
        def m(values: Sequence[float | None]) -> float | None:
            known = [v for v in values if v is not None]
            return sum(known) / len(known) if known else None

        out: dict[str, Any] = {}
        for f in fields(Scores):
            values = [getattr(s, f.name) for s in items]
            out[f.name] = m(values) if f.name in ("top1", "top3") else (m(values) or 0)
        out["scored"] = items[0].scored
        return Scores(**out)

    return Evaluation(
        {t: avg([r.themes[t] for r in runs]) for t in first.themes},
        avg([r.overall for r in runs]),
        first.method,
        first.seeds,
        first.described,
        len(runs),
    )


def as_json(result: Evaluation) -> str:
    keys = ("ari", "nmi", "v_measure", "purity", "assigned_share", "move_share", "top1", "top3")

    def pick(s: Scores) -> dict[str, float | None]:
        values = asdict(s)
        return {k: None if values[k] is None else round(values[k], 4) for k in keys}

    overall = result.overall
    return json.dumps(
        {
            "mean_theme_ari": round(result.mean_theme_ari, 4),
            "overall_ari": round(overall.ari, 4),
            "nmi": round(overall.nmi, 4),
            "assigned_share": round(overall.assigned_share, 4),
            "top1": None if overall.top1 is None else round(overall.top1, 4),
            "top3": None if overall.top3 is None else round(overall.top3, 4),
            "move_share": round(overall.move_share, 4),
            "method": result.method.backend,
            "model": result.method.model,
            "seeds": result.seeds,
            "descriptions": result.described,
            "draws": result.draws,
            "overall": pick(overall),
            "themes": {t: pick(s) for t, s in result.themes.items()},
        }
    )
