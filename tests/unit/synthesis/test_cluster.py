"""The similarity graph and its groups, on small hand-made vectors whose cosine similarities
can be read off directly."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from consult.synthesis.cluster import communities, nearest_neighbours


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


def test_neighbours_of_texts_with_words_and_an_embedding_are_those_of_the_full_product() -> None:
    # Word columns are sparse, embedding columns full: the two parts are multiplied apart.
    rng = np.random.default_rng(3)
    words = sp.random(300, 2000, density=0.01, random_state=4)
    embedding = rng.normal(size=(300, 48))
    X = sp.csr_matrix(normalize(sp.hstack([words, sp.csr_matrix(embedding)])))
    full = (X @ X.T).toarray()
    for i, links in enumerate(nearest_neighbours(X, 7)):
        assert len(links) == 7
        others = np.delete(full[i], i)
        assert min(s for _, s in links) == pytest.approx(np.sort(others)[-7])
        for j, s in links:
            assert s == pytest.approx(full[i, j])
