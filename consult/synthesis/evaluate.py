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
from dataclasses import asdict, dataclass
from pathlib import Path

from sklearn.metrics import (
    adjusted_rand_score,
    homogeneity_completeness_v_measure,
    normalized_mutual_info_score,
)

from consult.synthesis.embeddings import Embedder
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
class Scores:
    ari: float
    nmi: float
    v_measure: float
    purity: float
    assigned_share: float
    scored: int
    seconds: float


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
                problems.append(f"regel {number}: geen geldige JSON ({exc.msg})")
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
                problems.append(f"regel {number}: ontbreekt {', '.join(missing)}")
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
        raise LabelledFileError(f"{path}: geen bijdragen gevonden")
    return rows


def purity(gold: Sequence[str], predicted: Sequence[str]) -> float:
    by_cluster: dict[str, Counter[str]] = defaultdict(Counter)
    for g, p in zip(gold, predicted, strict=True):
        by_cluster[p][g] += 1
    return sum(c.most_common(1)[0][1] for c in by_cluster.values()) / len(gold)


def score(gold: Sequence[str], predicted: Sequence[str], assigned: int, seconds: float) -> Scores:
    if not gold:
        # Every contribution of the theme was a seed: nothing left to score.
        return Scores(0.0, 0.0, 0.0, 0.0, 0.0, 0, seconds)
    _, _, v = homogeneity_completeness_v_measure(gold, predicted)
    return Scores(
        ari=float(adjusted_rand_score(gold, predicted)),
        nmi=float(normalized_mutual_info_score(gold, predicted)),
        v_measure=float(v),
        purity=purity(gold, predicted),
        assigned_share=assigned / len(gold),
        scored=len(gold),
        seconds=seconds,
    )


def predict_theme(
    rows: Sequence[Labelled],
    seeds: int,
    params: Params,
    embedder: Embedder | None,
    rng: random.Random,
    corpus: Corpus | None = None,
) -> tuple[list[str], list[str], int]:
    """(gold, predicted) for the scored rows of one theme, and how many were assigned."""
    units = _units(rows)
    anchors: dict[str, list[int]] = defaultdict(list)
    if seeds:
        by_gold: dict[str, list[int]] = defaultdict(list)
        for i, r in enumerate(rows):
            by_gold[r.gold].append(i)
        for gold_block, ids in sorted(by_gold.items()):
            anchors[f"seed:{gold_block}"] = rng.sample(ids, min(seeds, len(ids)))
    outcome = run(units, anchors, params, embedder, corpus=corpus)
    label: dict[int, str] = dict(outcome.joined)
    for n, group in enumerate(outcome.groups):
        label.update({i: f"new:{n}" for i in group.unit_ids})
    seeded = {i for ids in anchors.values() for i in ids}
    gold, predicted, assigned = [], [], 0
    for i, r in enumerate(rows):
        if i in seeded:
            continue
        gold.append(r.gold)
        predicted.append(label.get(i, f"unassigned:{i}"))
        assigned += i in label
    return gold, predicted, assigned


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
) -> dict[str, Scores]:
    """Scores per theme and "overall" (all themes together; a group never spans themes)."""
    params = params or Params()
    rng = random.Random(seed)
    results: dict[str, Scores] = {}
    all_gold: list[str] = []
    all_predicted: list[str] = []
    all_assigned = 0
    started_all = time.perf_counter()
    # The file is one round: word weights and embedding statistics come from all of it, as
    # the service takes them from all contributions of a round (labels play no part).
    corpus = corpus_of(_units(rows), embedder)
    for theme in sorted({r.theme for r in rows}):
        theme_rows = [r for r in rows if r.theme == theme]
        started = time.perf_counter()
        gold, predicted, assigned = predict_theme(theme_rows, seeds, params, embedder, rng, corpus)
        results[theme] = score(gold, predicted, assigned, time.perf_counter() - started)
        all_gold += [f"{theme}/{g}" for g in gold]
        all_predicted += [f"{theme}/{p}" for p in predicted]
        all_assigned += assigned
    results["overall"] = score(
        all_gold, all_predicted, all_assigned, time.perf_counter() - started_all
    )
    return results


def as_json(results: dict[str, Scores]) -> str:
    keys = ("ari", "nmi", "v_measure", "purity", "assigned_share")

    def pick(s: Scores) -> dict[str, float]:
        return {k: round(v, 4) for k, v in asdict(s).items() if k in keys}

    return json.dumps(
        {
            "overall": pick(results["overall"]),
            "themes": {t: pick(s) for t, s in results.items() if t != "overall"},
        }
    )
