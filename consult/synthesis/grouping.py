"""A first grouping: TF-IDF over stems and average-linkage clustering by cosine similarity.

Pure: contributions in, groups out. Items that join no group above the threshold are returned
as unassigned, never dropped.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from consult.synthesis.text import SurfaceForms, sentences, terms

Vector = dict[str, float]


@dataclass(frozen=True)
class Item:
    id: int
    text: str
    language: str
    # Text that may not be quoted still counts for grouping but never becomes a summary.
    quotable: bool = True


@dataclass(frozen=True)
class Group:
    item_ids: tuple[int, ...]
    title: str
    summary: str
    key_terms: tuple[str, ...]


@dataclass(frozen=True)
class Grouping:
    groups: tuple[Group, ...]
    unassigned: tuple[int, ...]


def _tfidf(docs: Sequence[list[str]]) -> list[Vector]:
    df = Counter(stem for doc in docs for stem in set(doc))
    n = len(docs)
    vectors = []
    for doc in docs:
        tf = Counter(doc)
        vec = {s: (1 + math.log(c)) * math.log((1 + n) / (1 + df[s])) for s, c in tf.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        vectors.append({s: v / norm for s, v in vec.items()})
    return vectors


def _cosine(a: Vector, b: Vector) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(k, 0.0) for k, v in a.items())


def _cluster(vectors: Sequence[Vector], threshold: float) -> list[list[int]]:
    n = len(vectors)
    sim = [[_cosine(vectors[i], vectors[j]) for j in range(n)] for i in range(n)]
    clusters: list[list[int]] = [[i] for i in range(n)]

    def linkage(a: list[int], b: list[int]) -> float:
        return sum(sim[i][j] for i in a for j in b) / (len(a) * len(b))

    while len(clusters) > 1:
        best, pair = threshold, None
        for x in range(len(clusters)):
            for y in range(x + 1, len(clusters)):
                score = linkage(clusters[x], clusters[y])
                if score > best:
                    best, pair = score, (x, y)
        if pair is None:
            break
        x, y = pair
        clusters[x] = clusters[x] + clusters[y]
        del clusters[y]
    return clusters


def group_items(items: Sequence[Item], threshold: float = 0.04, max_terms: int = 5) -> Grouping:
    forms = SurfaceForms()
    docs: list[list[str]] = []
    for item in items:
        pairs = terms(item.text, item.language)
        forms.add(pairs)
        docs.append([stem for stem, _ in pairs])
    vectors = _tfidf(docs)
    groups: list[Group] = []
    unassigned: list[int] = []
    for members in _cluster(vectors, threshold):
        if len(members) < 2:
            unassigned.extend(items[i].id for i in members)
            continue
        weight: Counter[str] = Counter()
        for i in members:
            weight.update(vectors[i])
        centroid = {s: w / len(members) for s, w in weight.items()}
        # A key term should describe the group, not one member: prefer stems several share.
        shared = Counter(stem for i in members for stem in vectors[i])
        ranked = sorted(weight, key=lambda s: (shared[s] < 2, -weight[s], s))
        top = [forms.natural(stem) for stem in ranked[:max_terms]]
        candidates = [
            (s, items[i].language)
            for i in members
            if items[i].quotable
            for s in sentences(items[i].text)
        ]
        summary = max(
            candidates, key=lambda c: _cosine(_tfidf_like(c[0], c[1]), centroid), default=("", "")
        )[0]
        title = ", ".join(top[:3])
        groups.append(
            Group(
                item_ids=tuple(sorted(items[i].id for i in members)),
                title=title[:1].upper() + title[1:],
                summary=summary,
                key_terms=tuple(top),
            )
        )
    groups.sort(key=lambda g: (-len(g.item_ids), g.item_ids))
    return Grouping(tuple(groups), tuple(sorted(unassigned)))


def _tfidf_like(sentence: str, language: str) -> Vector:
    stems = Counter(stem for stem, _ in terms(sentence, language))
    norm = math.sqrt(sum(c * c for c in stems.values())) or 1.0
    return {s: c / norm for s, c in stems.items()}
