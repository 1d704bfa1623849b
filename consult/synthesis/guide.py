"""Blocks staff already have (placed contributions, a written description, or both) guide the
grouping: each is a prototype, contributions are placed with the prototype they are most like,
and prototypes are re-centred on what they gathered (semi-supervised k-means; Basu, Banerjee &
Mooney 2002, "Semi-supervised clustering by seeding"). The same prototypes rank the blocks a
contribution fits best (suggestions).

Pure: vectors in, row indices and scores out. Rows are L2-normalised (features.represent).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

# A staff description counts as this many members: short texts are noisy on their own, but
# the description is what staff mean, so a few first members must not pull a block elsewhere.
DESCRIPTION_WEIGHT = 3.0
# Re-centring stops when nothing moves; this bounds the rare case of two rows trading places.
MAX_ROUNDS = 20


@dataclass(frozen=True)
class Prototypes:
    """One row per block: the sum of its fixed members' rows and its weighted description."""

    keys: tuple[str, ...]
    fixed: npt.NDArray[np.float64]  # (blocks, features)


def prototypes(
    X: sp.csr_matrix,
    anchors: Mapping[str, Sequence[int]],
    descriptions: Mapping[str, npt.NDArray[np.float64]] | None = None,
) -> Prototypes:
    """`anchors` maps a block key to rows fixed in it, `descriptions` a key to the
    representation of its description (a row like X's)."""
    descriptions = descriptions or {}
    keys = tuple(dict.fromkeys([*anchors, *descriptions]))
    dims = X.shape[1]
    fixed = np.zeros((len(keys), dims))
    for n, key in enumerate(keys):
        rows = list(anchors.get(key, ()))
        if rows:
            fixed[n] += np.asarray(X[rows].sum(axis=0)).ravel()
        if key in descriptions:
            fixed[n] += DESCRIPTION_WEIGHT * np.asarray(descriptions[key]).ravel()
    return Prototypes(keys, fixed)


def similarities(
    X: sp.csr_matrix, sums: npt.NDArray[np.float64], own: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]:
    """Cosine similarity of each row with each prototype sum. A row's own block (`own`,
    -1 for none) is taken without that row: a member always looks like a centroid it is part
    of, which would keep every first guess in place."""
    raw = np.asarray(X @ sums.T, dtype=np.float64)
    norms = np.linalg.norm(sums, axis=1)
    out = raw / np.maximum(norms, 1e-12)
    members = np.flatnonzero(own >= 0)
    if len(members):
        blocks = own[members]
        self_sim = np.asarray(X[members].multiply(X[members]).sum(axis=1)).ravel()
        dot = raw[members, blocks]
        # |s - x|^2 = |s|^2 - 2 s.x + |x|^2: no dense copy of the rows is needed.
        without = np.sqrt(np.maximum(norms[blocks] ** 2 - 2 * dot + self_sim, 0.0))
        out[members, blocks] = (dot - self_sim) / np.maximum(without, 1e-12)
    return np.asarray(out, dtype=np.float64)


def member_sums(
    X: sp.csr_matrix, labels: npt.NDArray[np.int64], blocks: int
) -> npt.NDArray[np.float64]:
    """Per block the sum of the rows labelled with it (label -1: none)."""
    keep = np.flatnonzero(labels >= 0)
    onehot = sp.csr_matrix((np.ones(len(keep)), (labels[keep], keep)), shape=(blocks, X.shape[0]))
    return np.asarray((onehot @ X).toarray(), dtype=np.float64)


def assign(
    X: sp.csr_matrix, protos: Prototypes, free: Sequence[int]
) -> tuple[dict[int, int], npt.NDArray[np.float64]]:
    """Each free row with the prototype it is most like, the prototypes re-centred on their
    members until nothing moves. Returns row -> prototype index, and the final similarities
    of the free rows (rows in the order of `free`)."""
    if not protos.keys or not free:
        return {}, np.zeros((len(free), len(protos.keys)))
    rows = X[list(free)]
    own = np.full(len(free), -1, dtype=np.int64)
    sims = similarities(rows, protos.fixed, own)
    labels = np.argmax(sims, axis=1)
    for _ in range(MAX_ROUNDS):
        sums = protos.fixed + member_sums(rows, labels, len(protos.keys))
        sims = similarities(rows, sums, labels)
        moved = np.argmax(sims, axis=1)
        if np.array_equal(moved, labels):
            break
        labels = moved
    return {row: int(k) for row, k in zip(free, labels, strict=True)}, sims


def rank(
    scores: Sequence[float] | npt.NDArray[np.float64], keys: Sequence[str], limit: int = 5
) -> tuple[tuple[str, float], ...]:
    """The `limit` keys with the highest scores, best first; ties in key order."""
    order = sorted(range(len(keys)), key=lambda i: (-float(scores[i]), i))
    return tuple((keys[i], round(float(scores[i]), 4)) for i in order[:limit])


def suggest(
    X: sp.csr_matrix,
    groups: Mapping[str, Sequence[int]],
    descriptions: Mapping[str, npt.NDArray[np.float64]] | None = None,
    limit: int = 5,
) -> dict[int, tuple[tuple[str, float], ...]]:
    """For every row, the blocks it fits best with a score (cosine similarity with the
    block's members and description, the row itself left out of its own block)."""
    protos = prototypes(X, groups, descriptions)
    if not protos.keys:
        return {i: () for i in range(X.shape[0])}
    own = np.full(X.shape[0], -1, dtype=np.int64)
    for n, key in enumerate(protos.keys):
        own[list(groups.get(key, ()))] = n
    sims = similarities(X, protos.fixed, own)
    return {i: rank(sims[i], protos.keys, limit) for i in range(X.shape[0])}
