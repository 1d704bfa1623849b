"""The synthesis pipeline for one theme: represent, place around anchors, find new groups,
describe them. Pure: plain data in, plain data out; no database.

Every unit ends up in exactly one place: an anchor group, a new group, or unassigned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from consult.synthesis.cluster import assign_to_anchors, centroid, communities, fits
from consult.synthesis.describe import Description, Member, describe
from consult.synthesis.embeddings import Embedder
from consult.synthesis.features import Corpus, Text, represent


@dataclass(frozen=True)
class Unit:
    id: int
    text: str
    language: str = "nl"
    quotable: bool = True
    contributor: str = ""
    sector: str = ""


@dataclass(frozen=True)
class Params:
    # Each text is linked to this many neighbours: enough to connect paraphrases, few enough
    # that unrelated texts stay apart. Louvain's standard resolution 1.0 sets the group count.
    neighbours: int = 10
    resolution: float = 1.0
    # A building block rests on several voices; smaller groups go to "unassigned".
    min_group_size: int = 3
    seed: int = 0


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


def run(
    units: Sequence[Unit],
    anchors: Mapping[str, Sequence[int]] | None = None,
    params: Params | None = None,
    embedder: Embedder | None = None,
    language: str = "nl",
    corpus: Corpus | None = None,
) -> Outcome:
    """Group the units of one theme. `anchors` maps a group key to unit ids that are fixed in
    it (staff placements, or seeds); other units may join those groups or form new ones.
    `corpus` holds the statistics of the whole round (see `features.Corpus`); with it, its
    embedder is used and `embedder` is ignored."""
    params = params or Params()
    anchors = {k: list(v) for k, v in (anchors or {}).items() if v}
    if not units:
        return Outcome({}, (), ())
    index = {u.id: i for i, u in enumerate(units)}
    X = represent([_text(u) for u in units], embedder, corpus)
    anchored = {index[i] for ids in anchors.values() for i in ids}
    free = [i for i in range(len(units)) if i not in anchored]
    anchor_rows = {k: [index[i] for i in ids] for k, ids in anchors.items()}
    joined_rows = assign_to_anchors(
        X, anchor_rows, free, params.neighbours, params.resolution, params.seed
    )

    rest = [i for i in free if i not in joined_rows]
    groups: list[NewGroup] = []
    unassigned: list[int] = []
    if rest:
        theme = centroid(X, range(X.shape[0]))
        sub = X[rest]
        for community in communities(sub, params.neighbours, params.resolution, params.seed):
            rows = [rest[i] for i in community]
            middle = centroid(X, rows)
            members = [r for r in rows if fits(X, r, middle, theme)]
            if len(members) < params.min_group_size:
                unassigned.extend(rows)
                continue
            unassigned.extend(r for r in rows if r not in members)
            groups.append(
                NewGroup(
                    tuple(sorted(units[r].id for r in members)),
                    describe([_member(units[r]) for r in members], language),
                )
            )
    joined = {units[r].id: key for r, key in joined_rows.items()}
    described = {
        key: describe(
            [_member(units[r]) for r in rows + [r for r, k in joined_rows.items() if k == key]],
            language,
        )
        for key, rows in anchor_rows.items()
    }
    return Outcome(joined, tuple(groups), tuple(sorted(units[r].id for r in unassigned)), described)


def _text(unit: Unit) -> Text:
    return Text(unit.text, unit.language)


def corpus_of(units: Sequence[Unit], embedder: Embedder | None = None) -> Corpus:
    """The round-wide statistics of all units of a round, every theme together."""
    return Corpus([_text(u) for u in units], embedder)


def _member(unit: Unit) -> Member:
    return Member(unit.id, unit.text, unit.language, unit.quotable, unit.contributor, unit.sector)
