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


def test_a_candidate_about_nothing_the_anchors_say_stays_out() -> None:
    X = _rows(
        [1, 0, 0],  # 0 anchor "x"
        [1, 0.1, 0],  # 1 anchor "x"
        [0, 1, 0],  # 2 anchor "y"
        [0.1, 1, 0],  # 3 anchor "y"
        [0, 0, 1],  # 4 about neither
    )

    assert assign_to_anchors(X, {"x": [0, 1], "y": [2, 3]}, [4]) == {}


def test_candidates_closer_to_each_other_than_to_any_anchor_stay_out_together() -> None:
    # Two anchor groups and a tight group of three candidates on a subject of their own: they
    # are left for the search for new groups, while the others join their anchors.
    X = _rows(
        [1, 0, 0, 0.1],  # 0 anchor "x"
        [1, 0.1, 0, 0],  # 1 anchor "x"
        [0, 1, 0, 0.1],  # 2 anchor "y"
        [0.1, 1, 0, 0],  # 3 anchor "y"
        [1, 0, 0.1, 0.1],  # 4 like x
        [0, 1, 0.1, 0.1],  # 5 like y
        [0.1, 0, 1, 0],  # 6 a subject of its own
        [0, 0.1, 1, 0],  # 7 same
        [0, 0, 1, 0.1],  # 8 same
    )

    placed = assign_to_anchors(
        X, {"x": [0, 1], "y": [2, 3]}, [4, 5, 6, 7, 8], neighbours=2, resolution=1.0, seed=0
    )

    assert placed == {4: "x", 5: "y"}


def test_in_a_community_with_two_anchor_groups_each_candidate_picks_the_nearer() -> None:
    # The two anchor groups are close, so everything forms one community; each candidate
    # still joins the group whose centroid is most like it.
    X = _rows(
        [1, 0.3],  # 0 anchor "x"
        [1, 0.35],  # 1 anchor "x"
        [0.3, 1],  # 2 anchor "y"
        [0.35, 1],  # 3 anchor "y"
        [1, 0.5],  # 4 nearer x
        [0.5, 1],  # 5 nearer y
    )

    placed = assign_to_anchors(X, {"x": [0, 1], "y": [2, 3]}, [4, 5], neighbours=5)

    assert placed == {4: "x", 5: "y"}


def test_anchor_rows_offered_as_candidates_are_not_moved() -> None:
    X = _rows([1, 0], [1, 0.1], [0, 1], [0.1, 1])

    placed = assign_to_anchors(X, {"x": [0, 1], "y": [2]}, [1, 3])

    assert placed == {3: "y"}


def test_no_anchors_or_no_candidates_place_nothing() -> None:
    assert assign_to_anchors(GRAPH, {}, [0, 1]) == {}
    assert assign_to_anchors(GRAPH, {"x": [0]}, []) == {}
