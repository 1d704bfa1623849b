"""Grouping on a similarity graph: each text linked to its nearest neighbours, communities found
by Louvain modularity, so the number of groups follows from the data instead of being fixed.

Texts already placed (by staff, or as seeds) act as anchors: communities are found among anchors
and other texts together, and a text joins the anchor group its community holds."""

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
    X: sp.csr_matrix,
    anchors: Mapping[str, Sequence[int]],
    candidates: Sequence[int],
    neighbours: int = 10,
    resolution: float = 1.0,
    seed: int = 0,
) -> dict[int, str]:
    """Place candidates with anchor groups by finding communities among anchors and
    candidates together, the same way new groups are found, each anchor group held together
    as one node (its texts are fixed together). A candidate in a community with one anchor
    group joins it; in a community with several, it joins the one whose centroid is most
    similar. A community without anchors is left out: those texts are closer to each other
    than to any anchor group, so they may form a group of their own."""
    if not anchors or not candidates:
        return {}
    keys = [k for k in anchors if anchors[k]]
    node: dict[int, int] = {}  # row -> graph node; anchor group i is node i
    for n, key in enumerate(keys):
        node.update({row: n for row in anchors[key]})
    free = [c for c in candidates if c not in node]
    node.update({row: len(keys) + n for n, row in enumerate(free)})
    rows = sorted(node)
    graph = nx.Graph()
    graph.add_nodes_from(range(len(keys) + len(free)))
    for i, links in enumerate(nearest_neighbours(X[rows], neighbours)):
        for j, weight in links:
            a, b = node[rows[i]], node[rows[j]]
            if a != b:
                previous = graph.get_edge_data(a, b, {"weight": 0.0})["weight"]
                graph.add_edge(a, b, weight=previous + weight)
    found = nx.community.louvain_communities(
        graph, weight="weight", resolution=resolution, seed=seed
    )
    centroids = normalize(np.stack([centroid(X, anchors[k]) for k in keys]))
    placed: dict[int, str] = {}
    for community in found:
        present = sorted(n for n in community if n < len(keys))
        members = sorted(free[n - len(keys)] for n in community if n >= len(keys))
        if not present or not members:
            continue
        if len(present) == 1:
            placed.update({row: keys[present[0]] for row in members})
            continue
        sims = np.asarray(X[members] @ centroids[present].T)
        placed.update(
            {row: keys[present[int(np.argmax(s))]] for row, s in zip(members, sims, strict=True)}
        )
    return placed
