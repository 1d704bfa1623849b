"""The synthesis pipeline for one theme: represent, place with the blocks staff have (placed
contributions, descriptions), find new groups in what fits none, describe them, suggest.
Pure: plain data in, plain data out; no database.

Every unit ends up in exactly one place: an anchor group, a new group, or unassigned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from consult.synthesis.cluster import centroid, communities
from consult.synthesis.describe import Description, Member, describe
from consult.synthesis.embeddings import Embedder
from consult.synthesis.features import Corpus, Text, represent, theme_centre
from consult.synthesis.guide import Prototypes, assign, member_sums, prototypes, suggest

# Similarity below this is rounding noise: the texts share nothing.
LIKE_AT_ALL = 1e-6


@dataclass(frozen=True, eq=False)
class Unit:
    id: int
    text: str
    language: str = "nl"
    quotable: bool = True
    contributor: str = ""
    sector: str = ""
    # The stored embedding (raw, as the model made it), if the service has one.
    vector: npt.NDArray[np.float32] | None = None


@dataclass(frozen=True)
class Params:
    # Each text is linked to this many neighbours: enough to connect paraphrases, few enough
    # that unrelated texts stay apart. Louvain's standard resolution 1.0 sets the group count.
    neighbours: int = 10
    resolution: float = 1.0
    # A building block rests on several voices; smaller groups go to "unassigned".
    min_group_size: int = 3
    seed: int = 0
    # Blocks suggested per contribution.
    suggestions: int = 5


@dataclass(frozen=True)
class NewGroup:
    unit_ids: tuple[int, ...]
    description: Description


@dataclass(frozen=True)
class Outcome:
    joined: Mapping[int, str]  # unit id -> anchor key
    groups: tuple[NewGroup, ...]
    unassigned: tuple[int, ...]
    described_anchors: Mapping[str, Description] = field(default_factory=dict)
    # unit id -> (block key, score) best first; keys of new groups are "new:<index>".
    suggestions: Mapping[int, tuple[tuple[str, float], ...]] = field(default_factory=dict)


def run(
    units: Sequence[Unit],
    anchors: Mapping[str, Sequence[int]] | None = None,
    params: Params | None = None,
    embedder: Embedder | None = None,
    language: str = "nl",
    corpus: Corpus | None = None,
    described: Mapping[str, str] | None = None,
) -> Outcome:
    """Group the units of one theme. `anchors` maps a group key to unit ids that are fixed in
    it (staff placements, or seeds); `described` maps a group key to the description staff
    wrote for it (a group may have both, or a description alone). Other units join the group
    they are most like, if they fit it; what fits none may form new groups.
    `corpus` holds the statistics of the whole round (see `features.Corpus`); with it, its
    embedder is used and `embedder` is ignored."""
    params = params or Params()
    anchors = {k: list(v) for k, v in (anchors or {}).items() if v}
    described = {k: v for k, v in (described or {}).items() if v.strip()}
    if not units:
        return Outcome({}, (), ())
    if corpus is None:
        corpus = Corpus([_text(u) for u in units], embedder)
    index = {u.id: i for i, u in enumerate(units)}
    texts = [_text(u) for u in units]
    centre = theme_centre(texts, corpus)
    X = represent(texts, corpus=corpus, centre=centre)
    # A text fits a block only if it is closer to it than to the theme as a whole. Centred on
    # the theme, the theme's mean is the origin: closer means more alike than two texts of the
    # theme are on average. Otherwise the theme is the centroid of its texts.
    theme = centroid(X, range(X.shape[0])) if centre is None else np.zeros(X.shape[1])
    anchored = {index[i] for ids in anchors.values() for i in ids}
    free = [i for i in range(len(units)) if i not in anchored]
    anchor_rows = {k: [index[i] for i in ids] for k, ids in anchors.items()}
    descriptions = _describe_rows(described, corpus, centre)
    protos = prototypes(X, anchor_rows, descriptions)
    placed, sims = assign(X, protos, free)
    best: dict[int, tuple[int, float]] = {}  # free row -> (prototype, similarity)
    for n, row in enumerate(free):
        if row in placed:
            best[row] = (placed[row], float(sims[n, placed[row]]))
    to_theme = np.asarray(X @ theme).ravel()
    joined_rows: dict[int, str] = {}
    for row, (k, sim) in best.items():
        # Closer to its block than to the theme as a whole: it fits that block.
        if sim >= to_theme[row]:
            joined_rows[row] = protos.keys[k]

    # Centres of what staff gave and what clearly fits, to tell a new topic from a known one.
    block_centres = _centres(X, protos, {r: placed[r] for r in joined_rows})
    rest = [i for i in free if i not in joined_rows]
    groups: list[NewGroup] = []
    group_rows: list[list[int]] = []
    unassigned: list[int] = []
    if rest:
        sub = X[rest]
        for community in communities(sub, params.neighbours, params.resolution, params.seed):
            rows = [rest[i] for i in community]
            # A member is closer to its group than to the theme overall (a tie counts: when a
            # whole theme is about one thing, that is its group), and closer to the others in
            # it than to any block staff have (the text itself left out of the group's centre).
            to_group = np.asarray(X[rows] @ centroid(X, rows)).ravel()
            to_others = _to_the_others(X, rows)
            members = [
                r
                for n, r in enumerate(rows)
                if to_group[n] >= to_theme[r] and to_others[n] > best.get(r, (0, -1.0))[1]
            ]
            if len(members) < params.min_group_size or _is_known(X, members, block_centres):
                unassigned.extend(rows)
                continue
            unassigned.extend(r for r in rows if r not in members)
            group_rows.append(members)
            groups.append(
                NewGroup(
                    tuple(sorted(units[r].id for r in members)),
                    describe([_member(units[r]) for r in members], language),
                )
            )
    # What forms no new block stays with the block it is most like, if it is like it at all.
    for row in list(unassigned):
        if row in best and best[row][1] > LIKE_AT_ALL:
            joined_rows[row] = protos.keys[best[row][0]]
            unassigned.remove(row)
    joined = {units[r].id: key for r, key in joined_rows.items()}
    all_keys = dict.fromkeys([*anchor_rows, *descriptions])
    described_groups = {
        key: anchor_rows.get(key, []) + [r for r, k in joined_rows.items() if k == key]
        for key in all_keys
    }
    descriptions_out = {
        key: describe([_member(units[r]) for r in rows], language)
        for key, rows in described_groups.items()
        if rows
    }
    final = {**described_groups, **{f"new:{n}": rows for n, rows in enumerate(group_rows)}}
    ranked = suggest(X, final, descriptions, params.suggestions)
    suggestions = {units[r].id: s for r, s in ranked.items()}
    return Outcome(
        joined,
        tuple(groups),
        tuple(sorted(units[r].id for r in unassigned)),
        descriptions_out,
        suggestions,
    )


def _centres(
    X: sp.csr_matrix, protos: Prototypes, placed: Mapping[int, int]
) -> npt.NDArray[np.float64]:
    labels = np.full(X.shape[0], -1, dtype=np.int64)
    for row, k in placed.items():
        labels[row] = k
    sums = protos.fixed + member_sums(X, labels, len(protos.keys))
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return np.asarray(sums / np.maximum(norms, 1e-12))


def _is_known(X: sp.csr_matrix, rows: Sequence[int], centres: npt.NDArray[np.float64]) -> bool:
    """A candidate group says what a block staff have already says when its centre is closer to
    that block's centre than its own members are, on average, to its centre."""
    if not len(centres):
        return False
    middle = centroid(X, rows)
    # Each member against the centre of the others: a member always looks like a centre it
    # is part of, which would make every small group look tight.
    cohesion = float(np.mean(_to_the_others(X, rows)))
    return float(np.max(centres @ middle)) >= cohesion


def _to_the_others(X: sp.csr_matrix, rows: Sequence[int]) -> npt.NDArray[np.float64]:
    """Each row's cosine similarity with the sum of the other rows (0 where there are none)."""
    members = X[list(rows)]
    total = np.asarray(members.sum(axis=0)).ravel()
    dot = np.asarray(members @ total).ravel()
    self_sim = np.asarray(members.multiply(members).sum(axis=1)).ravel()
    # |t - x|^2 = |t|^2 - 2 t.x + |x|^2: no dense copy of the rows is needed.
    norm = np.sqrt(np.maximum(float(total @ total) - 2 * dot + self_sim, 0.0))
    safe = np.where(norm > 0, norm, 1.0)
    return np.asarray(np.where(norm > 0, (dot - self_sim) / safe, 0.0), dtype=np.float64)


def _describe_rows(
    described: Mapping[str, str], corpus: Corpus, centre: npt.NDArray[np.float32] | None
) -> dict[str, npt.NDArray[np.float64]]:
    if not described:
        return {}
    keys = list(described)
    # Staff write descriptions in Dutch (the report's language).
    rows = represent([Text(described[k], "nl") for k in keys], corpus=corpus, centre=centre)
    return {k: np.asarray(rows[n].toarray()).ravel() for n, k in enumerate(keys)}


def _text(unit: Unit) -> Text:
    return Text(unit.text, unit.language, unit.vector)


def corpus_of(units: Sequence[Unit], embedder: Embedder | None = None) -> Corpus:
    """The round-wide statistics of all units of a round, every theme together."""
    return Corpus([_text(u) for u in units], embedder)


def _member(unit: Unit) -> Member:
    return Member(unit.id, unit.text, unit.language, unit.quotable, unit.contributor, unit.sector)
