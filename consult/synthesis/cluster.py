"""Grouping on a similarity graph: each text linked to its nearest neighbours, communities found
by Louvain modularity, so the number of groups follows from the data instead of being fixed.

Blocks staff already have are handled by consult.synthesis.guide; this finds the new ones."""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx
import numpy as np
import scipy.sparse as sp

CHUNK = 2048  # rows per block of the similarity product: bounds memory on large themes
# Columns used by at least this share of rows (an embedding's) are multiplied as a dense
# matrix: a sparse product over full columns is an order of magnitude slower than BLAS.
DENSE_SHARE = 0.5


def centroid(X: sp.csr_matrix, rows: Sequence[int]) -> np.ndarray:
    mean = np.asarray(X[list(rows)].mean(axis=0)).ravel()
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm else mean


def nearest_neighbours(X: sp.csr_matrix, k: int) -> list[list[tuple[int, float]]]:
    """For each row its k most similar other rows with positive cosine similarity."""
    n = X.shape[0]
    sparse, dense = _split(X)
    result: list[list[tuple[int, float]]] = []
    for start in range(0, n, CHUNK):
        block = (sparse[start : start + CHUNK] @ sparse.T).toarray()
        block += dense[start : start + CHUNK] @ dense.T
        for offset, sims in enumerate(block):
            sims[start + offset] = -1.0
            take = min(k, n - 1)
            if take <= 0:
                result.append([])
                continue
            top = np.argpartition(-sims, take - 1)[:take]
            result.append([(int(j), float(sims[j])) for j in top if sims[j] > 0])
    return result


def _split(X: sp.csr_matrix) -> tuple[sp.csr_matrix, np.ndarray]:
    """X's columns as a sparse and a dense part whose products add up to X @ X.T."""
    X = sp.csr_matrix(X)
    used = np.bincount(X.indices, minlength=X.shape[1])
    full = used >= DENSE_SHARE * X.shape[0]
    return sp.csr_matrix(X[:, ~full]), np.asarray(X[:, full].toarray())


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
