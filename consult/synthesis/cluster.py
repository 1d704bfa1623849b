"""Grouping on a similarity graph: each text linked to its nearest neighbours, communities found
by Louvain modularity, so the number of groups follows from the data instead of being fixed.

Texts already placed (by staff, or as seeds) act as anchors: other texts join the anchor group
they are closest to, provided that group is closer than the theme as a whole."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import networkx as nx
import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

CHUNK = 2048  # rows per block of the similarity product: bounds memory on large themes


def centroid(X: sp.csr_matrix, rows: Sequence[int]) -> np.ndarray:
    mean = np.asarray(X[list(rows)].mean(axis=0)).ravel()
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm else mean


def nearest_neighbours(X: sp.csr_matrix, k: int) -> list[list[tuple[int, float]]]:
    """For each row its k most similar other rows with positive cosine similarity."""
    n = X.shape[0]
    result: list[list[tuple[int, float]]] = []
    for start in range(0, n, CHUNK):
        block = (X[start : start + CHUNK] @ X.T).toarray()
        for offset, sims in enumerate(block):
            sims[start + offset] = -1.0
            take = min(k, n - 1)
            if take <= 0:
                result.append([])
                continue
            top = np.argpartition(-sims, take - 1)[:take]
            result.append([(int(j), float(sims[j])) for j in top if sims[j] > 0])
    return result


def communities(X: sp.csr_matrix, neighbours: int, resolution: float, seed: int) -> list[list[int]]:
    graph = nx.Graph()
    graph.add_nodes_from(range(X.shape[0]))
    for i, links in enumerate(nearest_neighbours(X, neighbours)):
        for j, weight in links:
            graph.add_edge(i, j, weight=weight)
    found = nx.community.louvain_communities(
        graph, weight="weight", resolution=resolution, seed=seed
    )
    return sorted((sorted(c) for c in found), key=lambda c: (-len(c), c[0]))


def fits(X: sp.csr_matrix, member: int, group_centroid: np.ndarray, theme: np.ndarray) -> bool:
    """A text belongs to a group only if it is closer to that group than to the theme overall.
    A tie counts as fitting: when a whole theme is about one thing, that is its group."""
    row = X[member]
    return float((row @ group_centroid)[0]) >= float((row @ theme)[0])


def assign_to_anchors(
    X: sp.csr_matrix, anchors: Mapping[str, Sequence[int]], candidates: Sequence[int]
) -> dict[int, str]:
    """Place candidates with the anchor group whose centroid is most similar, if it fits."""
    if not anchors or not candidates:
        return {}
    keys = list(anchors)
    centroids = normalize(np.stack([centroid(X, anchors[k]) for k in keys]))
    rows = X[list(candidates)]
    sims = np.asarray(rows @ centroids.T)
    # The theme without the candidate itself: the anchor centroids do not contain it either,
    # and its own weight in the theme would otherwise outweigh a small anchor group.
    exact = rows.astype(np.float64)
    total = np.asarray(X.astype(np.float64).sum(axis=0)).ravel()
    with_total = np.asarray(exact @ total).ravel()
    own = np.asarray(exact.multiply(exact).sum(axis=1)).ravel()
    rest_norm = np.sqrt(np.maximum(float(total @ total) - 2 * with_total + own, 0.0))
    background = np.divide(
        with_total - own, rest_norm, out=np.zeros_like(rest_norm), where=rest_norm > 0
    )
    placed: dict[int, str] = {}
    for row, candidate in enumerate(candidates):
        best = int(np.argmax(sims[row]))
        # Nothing in common with any anchor never counts as close (rounding can leave the
        # background a hair below zero for a text unlike all others).
        if sims[row, best] > max(background[row], 0.0):
            placed[candidate] = keys[best]
    return placed
