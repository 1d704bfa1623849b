"""The similarity graph and its groups, on small hand-made vectors whose cosine similarities
can be read off directly."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from consult.synthesis.cluster import assign_to_anchors, communities, nearest_neighbours


def _rows(*vectors: Sequence[float]) -> sp.csr_matrix:
    return sp.csr_matrix(normalize(np.asarray(vectors, dtype=np.float64)))


# a·b = 0.8, b·c = 0.6, a·c = 0; d is unrelated to all; e points away from a.
A, B, C, D, E = range(5)
GRAPH = _rows([1, 0, 0], [0.8, 0.6, 0], [0, 1, 0], [0, 0, 1], [-1, 0, 0])


def _as_dict(links: list[tuple[int, float]]) -> dict[int, float]:
    return dict(links)


def test_nearest_neighbours_are_the_most_similar_other_rows() -> None:
    found = nearest_neighbours(GRAPH, k=1)

    assert _as_dict(found[A]) == {B: pytest.approx(0.8)}
    assert _as_dict(found[B]) == {A: pytest.approx(0.8)}
    assert _as_dict(found[C]) == {B: pytest.approx(0.6)}


def test_a_row_is_never_its_own_neighbour_and_unrelated_rows_are_no_neighbours() -> None:
    found = nearest_neighbours(GRAPH, k=10)  # more than there are rows

    for row, links in enumerate(found):
        assert row not in _as_dict(links)
        assert all(weight > 0 for _, weight in links)
    # b is related to a and c; a (0 with c, -1 with e) only to b; d and e to nothing.
    assert _as_dict(found[B]) == {A: pytest.approx(0.8), C: pytest.approx(0.6)}
    assert _as_dict(found[A]) == {B: pytest.approx(0.8)}
    assert found[D] == []
    assert found[E] == []


def test_at_most_k_neighbours() -> None:
    # Six rows that are all alike: every row has five candidates.
    X = _rows(*[[1, 0.1 * i, 0] for i in range(6)])

    for k in (1, 2, 3):
        assert all(len(links) == k for links in nearest_neighbours(X, k))
    assert all(len(links) == 5 for links in nearest_neighbours(X, 50))


def test_a_single_row_has_no_neighbours() -> None:
    assert nearest_neighbours(_rows([1, 0]), k=5) == [[]]


def test_communities_hold_every_row_exactly_once() -> None:
    # Two clear clusters of three and one row on its own.
    X = _rows(
        [1, 0.1, 0, 0, 0],
        [1, 0, 0.1, 0, 0],
        [1, 0.1, 0.1, 0, 0],
        [0.1, 0, 0, 1, 0],
        [0, 0.1, 0, 1, 0],
        [0.1, 0.1, 0, 1, 0],
        [0, 0, 0, 0, 1],
    )

    found = communities(X, neighbours=2, resolution=1.0, seed=0)

    assert sorted(row for c in found for row in c) == list(range(7))
    assert {frozenset(c) for c in found} == {
        frozenset({0, 1, 2}),
        frozenset({3, 4, 5}),
        frozenset({6}),
    }
    # Largest first.
    assert [len(c) for c in found] == sorted((len(c) for c in found), reverse=True)


def test_candidates_join_the_anchor_they_are_closest_to() -> None:
    X = _rows(
        [1, 0, 0, 0],  # 0 anchor "x"
        [1, 0.2, 0, 0],  # 1 anchor "x"
        [0, 0, 1, 0],  # 2 anchor "y"
        [0, 0.2, 1, 0],  # 3 anchor "y"
        [1, 0.1, 0.1, 0.1],  # 4 much like x
        [0.1, 0, 1, 0.1],  # 5 much like y
    )

    placed = assign_to_anchors(X, {"x": [0, 1], "y": [2, 3]}, [4, 5])

    assert placed == {4: "x", 5: "y"}


def test_a_candidate_closer_to_the_theme_than_to_any_anchor_stays_out() -> None:
    X = _rows(
        [1, 0, 0],  # 0 anchor "x"
        [1, 0, 0],  # 1 anchor "x"
        [0, 1, 0],  # 2 anchor "y"
        [0, 1, 0],  # 3 anchor "y"
        [1, 1, 0],  # 4 half x, half y: exactly the theme's direction
        [0, 0, 1],  # 5 about neither
    )

    assert assign_to_anchors(X, {"x": [0, 1], "y": [2, 3]}, [4, 5]) == {}


def test_a_candidate_does_not_count_against_itself_as_part_of_the_theme() -> None:
    # A theme of many unrelated remarks and one small anchor group. The candidate shares the
    # anchor's subject (dimension 0) and says something of its own (dimension 1). Its own
    # words are not "the theme": compared with the other texts, it belongs with the anchor.
    others = [[0.0] * 2 + [float(i == j) for j in range(6)] for i in range(6)]
    X = _rows(
        [1, 0] + [0] * 6,  # 0 anchor
        [1, 0] + [0] * 6,  # 1 anchor
        [1, 1.5] + [0] * 6,  # 2 candidate
        *others,
    )

    assert assign_to_anchors(X, {"x": [0, 1]}, [2]) == {2: "x"}


def test_no_anchors_or_no_candidates_place_nothing() -> None:
    assert assign_to_anchors(GRAPH, {}, [0, 1]) == {}
    assert assign_to_anchors(GRAPH, {"x": [0]}, []) == {}
