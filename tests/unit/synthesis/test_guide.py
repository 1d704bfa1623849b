"""Blocks staff have guide the grouping: contributions go to the block they are most like,
prototypes follow what they gathered, and suggestions rank blocks for every contribution."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from consult.synthesis.guide import assign, prototypes, rank, similarities, suggest


def _rows(*vectors: Sequence[float]) -> sp.csr_matrix:
    return sp.csr_matrix(normalize(np.asarray(vectors, dtype=np.float64)))


# Two topics along the first two axes, each text a little off its axis.
X = _rows([1, 0.1, 0], [1, -0.1, 0.1], [0.9, 0, -0.1], [0.1, 1, 0], [0, 1, 0.1], [-0.1, 0.9, 0])


def test_a_description_alone_gathers_the_texts_about_it() -> None:
    described = {"stage": np.array([1.0, 0, 0]), "rooster": np.array([0, 1.0, 0])}
    protos = prototypes(X, {}, described)

    placed, _ = assign(X, protos, range(6))

    assert [protos.keys[placed[r]] for r in range(6)] == ["stage"] * 3 + ["rooster"] * 3


def test_placed_texts_and_a_description_make_one_block() -> None:
    protos = prototypes(X, {"stage": [0]}, {"stage": np.array([1.0, 0, 0])})

    assert protos.keys == ("stage",)
    assert protos.fixed[0] == pytest.approx(X[0].toarray().ravel() + 3 * np.array([1.0, 0, 0]))


def test_a_prototype_follows_its_members_away_from_a_poor_description() -> None:
    # The description of "rooster" is written half-way between both topics; the members of
    # "rooster" pull its prototype onto their axis, so the nearly-in-between text 3 stays there.
    described = {"stage": np.array([1.0, 0, 0]), "rooster": np.array([0.6, 0.8, 0])}
    placed, sims = assign(X, prototypes(X, {}, described), range(6))

    assert [placed[r] for r in range(6)] == [0, 0, 0, 1, 1, 1]
    assert sims.shape == (6, 2)


def test_a_member_is_compared_with_its_block_without_itself() -> None:
    sums = np.asarray(X[[0, 1]].sum(axis=0))
    with_self = similarities(X[[0]], sums, np.array([-1]))[0, 0]
    without = similarities(X[[0]], sums, np.array([0]))[0, 0]

    assert without == pytest.approx(float((X[0] @ X[1].T).toarray()[0, 0]))
    assert without < with_self


def test_suggestions_rank_every_block_best_first_with_scores() -> None:
    found = suggest(X, {"stage": [0, 1], "rooster": [4, 5]}, limit=2)

    assert [k for k, _ in found[2]] == ["stage", "rooster"]
    assert [k for k, _ in found[3]] == ["rooster", "stage"]
    first, second = found[3]
    assert first[1] > second[1]
    # A member's own block is scored without it, yet it still comes first.
    assert found[0][0][0] == "stage"


def test_no_blocks_means_no_suggestions() -> None:
    assert suggest(X, {}) == {i: () for i in range(6)}


def test_rank_breaks_ties_by_the_order_of_the_blocks() -> None:
    assert rank([0.5, 0.9, 0.5], ["a", "b", "c"], limit=3) == (
        ("b", 0.9),
        ("a", 0.5),
        ("c", 0.5),
    )
