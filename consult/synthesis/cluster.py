"""Grouping on a similarity graph: each text linked to its nearest neighbours, communities found
by Louvain modularity, so the number of groups follows from the data instead of being fixed.

Blocks staff already have are handled by consult.synthesis.guide; this finds the new ones."""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx
import numpy as np
import scipy.sparse as sp

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
