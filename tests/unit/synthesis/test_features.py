"""Texts as vectors: stems plus compound parts, rows of length 1, and optional embeddings that
share the similarity with the words."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import pytest

from consult.synthesis.features import (
    Corpus,
    Text,
    common_directions,
    remove_common,
    represent,
    tfidf,
    theme_centre,
    tokens,
)
from consult.synthesis.text import stem

TEXTS = [
    Text("Er zijn te weinig stageplaatsen in de ouderenzorg.", "nl"),
    Text("Een stagevergoeding helpt studenten die naast school werken.", "nl"),
    Text("Het parkeren bij het ziekenhuis kost personeel veel tijd.", "nl"),
    Text("Night shifts are planned too late for families.", "en"),
]


class FixedEmbedder:
    """Stands in for a sentence model: a fixed, unit-length vector per text."""

    def __init__(self, vectors: Mapping[str, Sequence[float]]) -> None:
        self.vectors = {text: np.asarray(v, dtype=np.float32) for text, v in vectors.items()}

    name = "fixed"

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        rows = np.stack([self.vectors[t] for t in texts])
        return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def _cosine(X: object, i: int, j: int) -> float:
    dense = np.asarray(X.toarray())  # type: ignore[attr-defined]
    return float(dense[i] @ dense[j])


def test_tokens_hold_the_whole_word_and_its_compound_parts() -> None:
    out = tokens(Text("Te weinig stageplaatsen voor studenten", "nl"))

    # Stop words ("te", "weinig", "voor") are no tokens.
    assert out == [
        stem("stageplaatsen", "nl"),
        stem("stage", "nl"),
        stem("plaatsen", "nl"),
        stem("studenten", "nl"),
    ]


def test_a_compound_part_that_is_a_stop_word_is_no_token() -> None:
    # "ondergrens" splits into "onder" (a stop word) and "grens".
    out = tokens(Text("ondergrens", "nl"))

    assert stem("grens", "nl") in out
    assert stem("onder", "nl") not in out


def test_english_words_are_not_split_as_dutch_compounds() -> None:
    out = tokens(Text("The workload of the healthcare workforce", "en"))

    # Whole words only: "workload" and "workforce" are not cut into "work" + ...
    assert out == [stem(w, "en") for w in ("workload", "healthcare", "workforce")]


def test_texts_sharing_only_a_compound_part_are_related() -> None:
    # "stageplaatsen" and "stagevergoeding" have no whole word in common, only "stage".
    X = represent(TEXTS[:3])

    assert _cosine(X, 0, 1) > 0
    assert _cosine(X, 0, 2) == pytest.approx(0.0)


def test_a_compound_meets_its_part_written_on_its_own() -> None:
    X = represent(
        [
            Text("Te weinig stageplaatsen.", "nl"),
            Text("Elke stage vraagt begeleiding.", "nl"),
            Text("Het parkeren kost tijd.", "nl"),
        ]
    )

    assert _cosine(X, 0, 1) > 0
    assert _cosine(X, 0, 2) == pytest.approx(0.0)


def test_rows_have_length_one() -> None:
    X = represent(TEXTS)

    norms = np.linalg.norm(X.toarray(), axis=1)
    assert norms == pytest.approx(np.ones(len(TEXTS)), abs=1e-5)


def test_with_embeddings_both_halves_are_kept_and_rows_stay_length_one() -> None:
    rng = np.random.default_rng(1)
    embedder = FixedEmbedder({t.text: rng.normal(size=8).tolist() for t in TEXTS})

    lexical = tfidf(TEXTS).toarray()
    joined = represent(TEXTS, embedder).toarray()

    assert joined.shape == (len(TEXTS), lexical.shape[1] + 8)
    assert np.linalg.norm(joined, axis=1) == pytest.approx(np.ones(len(TEXTS)), abs=1e-5)
    # Words and embedding each carry half of the similarity.
    assert joined[:, : lexical.shape[1]] == pytest.approx(lexical * np.sqrt(0.5), abs=1e-5)
    dense_norms = np.linalg.norm(joined[:, lexical.shape[1] :], axis=1)
    assert dense_norms == pytest.approx(np.full(len(TEXTS), np.sqrt(0.5)), abs=1e-5)


def test_a_text_without_content_words_still_gets_its_embedding() -> None:
    texts = [Text("Het is wat het is.", "nl"), TEXTS[2]]
    embedder = FixedEmbedder({texts[0].text: [1.0, 0.0], texts[1].text: [0.0, 1.0]})

    joined = represent(texts, embedder).toarray()

    assert np.linalg.norm(joined, axis=1) == pytest.approx([1.0, 1.0], abs=1e-5)


def test_texts_the_model_finds_alike_become_more_similar() -> None:
    # Different words, same meaning according to the (fake) model.
    texts = [
        Text("Het parkeren bij het ziekenhuis kost personeel veel tijd.", "nl"),
        Text("Collega's zoeken elke ochtend lang naar een plek voor hun auto.", "nl"),
        Text("Het rooster voor nachtdiensten komt te laat.", "nl"),
    ]
    rng = np.random.default_rng(0)
    # The rest of the round, about other things: it teaches the corpus what texts share.
    others = [Text(f"Een andere bijdrage over onderwerp {n}.", "nl") for n in range(12)]
    vectors = {t.text: rng.normal(size=8).tolist() for t in others}
    vectors[texts[0].text] = vectors[texts[1].text] = [1.0, *[0.0] * 7]
    vectors[texts[2].text] = [0.0, 1.0, *[0.0] * 6]
    corpus = Corpus([*texts, *others], FixedEmbedder(vectors))

    without = represent(texts, corpus=Corpus([*texts, *others]))
    with_model = represent(texts, corpus=corpus)

    assert _cosine(with_model, 0, 1) > _cosine(without, 0, 1) + 0.4
    # Texts the model finds unrelated do not gain anything.
    assert _cosine(with_model, 0, 2) <= _cosine(without, 0, 2) + 1e-6


def test_a_stored_vector_is_used_and_the_model_is_not_asked_again() -> None:
    asked: list[str] = []
    fixed = FixedEmbedder({t.text: [1.0, float(n), 0.5] for n, t in enumerate(TEXTS)})

    class Counting:
        name = "counting"

        def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
            asked.extend(texts)
            return fixed.embed(texts)

    stored = [Text(t.text, t.language, fixed.embed([t.text])[0]) for t in TEXTS[:3]]
    Corpus([*stored, TEXTS[3]], Counting())

    assert asked == [TEXTS[3].text]


def test_each_language_is_centred_on_its_own_mean() -> None:
    # The same twelve points, once in Dutch and once in English, a whole language apart.
    points = np.random.default_rng(2).normal(size=(12, 6)) * 0.3
    texts = [Text(f"Bijdrage {n}.", "nl") for n in range(12)]
    texts += [Text(f"Contribution {n}.", "en") for n in range(12)]
    vectors = {
        t.text: [float(n >= 12), float(n < 12), *points[n % 12]] for n, t in enumerate(texts)
    }
    dense = Corpus(texts, FixedEmbedder(vectors)).dense(texts)

    assert dense is not None
    # The same point in the other language is now the nearest text.
    assert int(np.argmax([float(dense[0] @ dense[j]) for j in range(1, 24)])) + 1 == 12


def test_a_language_with_few_texts_keeps_what_they_say() -> None:
    texts = [*TEXTS, Text("Another English text about night shifts.", "en")]
    rng = np.random.default_rng(3)
    dense = Corpus(
        texts, FixedEmbedder({t.text: rng.normal(size=8).tolist() for t in texts})
    ).dense(texts)

    assert dense is not None
    assert np.linalg.norm(dense, axis=1) == pytest.approx(np.ones(len(texts)), abs=1e-5)


def test_common_directions_are_the_mean_and_the_strongest_shared_direction() -> None:
    # Every row leans along dimension 0 by a different amount; the rest is small and varied.
    rows = np.array(
        [[3.0, 0.1, 0.0], [1.0, 0.0, 0.1], [-1.0, -0.1, 0.0], [-3.0, 0.0, -0.1]],
        dtype=np.float32,
    )

    mean, directions = common_directions(rows, count=1)

    assert mean == pytest.approx(rows.mean(axis=0))
    assert directions.shape == (1, 3)
    assert abs(float(directions[0, 0])) == pytest.approx(1.0, abs=0.01)


def test_common_directions_default_to_one_per_hundred_dimensions() -> None:
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(50, 384)).astype(np.float32)

    _, directions = common_directions(rows)

    assert directions.shape == (4, 384)  # round(384 / 100)


def test_common_directions_never_exceed_what_the_rows_show() -> None:
    one = np.ones((1, 5), dtype=np.float32)
    two = np.eye(2, 5, dtype=np.float32)

    assert common_directions(one)[1].shape == (0, 5)
    assert common_directions(two, count=3)[1].shape == (1, 5)
    assert common_directions(np.zeros((0, 5), dtype=np.float32))[1].shape == (0, 5)


def test_removing_the_common_part_keeps_what_sets_rows_apart() -> None:
    # Two texts that differ only in what everything shares end up alike; the row that differs
    # in another direction stays apart.
    shared = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    rows = np.array([[5.0, 1.0, 0.0], [-5.0, 1.0, 0.0], [0.0, -2.0, 0.0]], dtype=np.float32)

    out = remove_common(rows, np.zeros(3, dtype=np.float32), shared[None, :])

    assert out[:, 0] == pytest.approx([0.0, 0.0, 0.0], abs=1e-6)
    assert float(out[0] @ out[1]) == pytest.approx(1.0, abs=1e-6)
    assert float(out[0] @ out[2]) == pytest.approx(-1.0, abs=1e-6)
    assert np.linalg.norm(out, axis=1) == pytest.approx([1.0, 1.0, 1.0], abs=1e-6)


def test_a_word_all_themes_use_weighs_less_with_the_round_as_corpus() -> None:
    # Within this theme "corona" is rare, so alone it would weigh a lot; in the round as a
    # whole it is everywhere and says little about what a text is about.
    theme = [
        Text("Tijdens corona kregen teams meer ruimte voor zelfroosteren.", "nl"),
        Text("Tijdens corona liep de stage van studenten vertraging op.", "nl"),
        Text("Zelfroosteren vraagt begeleiding van teams.", "nl"),
        Text("Meer stageplekken voor studenten.", "nl"),
    ]
    elsewhere = [Text(f"Corona en {w}.", "nl") for w in ("huisvesting", "salaris", "scholing")]

    alone = represent(theme)
    in_round = represent(theme, corpus=Corpus(theme + elsewhere))

    # 0 and 1 share only "corona"; 0 and 2 share their subject.
    assert _cosine(in_round, 0, 1) < _cosine(alone, 0, 1)
    assert _cosine(in_round, 0, 2) > _cosine(in_round, 0, 1)
    assert np.linalg.norm(in_round.toarray(), axis=1) == pytest.approx(np.ones(4), abs=1e-5)


def test_a_corpus_embeds_each_text_once_and_cleans_the_embeddings() -> None:
    calls: list[list[str]] = []
    vectors = {t.text: [1.0, float(n), float(n % 2)] for n, t in enumerate(TEXTS)}
    fixed = FixedEmbedder(vectors)

    class Counting:
        name = "counting"

        def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
            calls.append(list(texts))
            return fixed.embed(texts)

    corpus = Corpus([*TEXTS, TEXTS[0]], Counting())
    joined = represent(TEXTS[:2], corpus=corpus).toarray()

    assert calls == [[t.text for t in TEXTS]]  # once, duplicates dropped, none again
    assert np.linalg.norm(joined, axis=1) == pytest.approx([1.0, 1.0], abs=1e-5)
    # The dense half no longer holds what every text shares: its rows sum to about nothing.
    dense = corpus.dense(TEXTS)
    raw = fixed.embed([t.text for t in TEXTS])
    assert dense is not None
    assert np.abs(dense.sum(axis=0)).max() < np.abs(raw.sum(axis=0)).max()


def test_a_corpus_embeds_a_text_it_did_not_hold_when_asked() -> None:
    late = Text("Een tekst die later binnenkwam.", "nl")
    fixed = FixedEmbedder({t.text: [1.0, float(n), 0.5] for n, t in enumerate([*TEXTS, late])})
    corpus = Corpus(TEXTS, fixed)

    dense = corpus.dense([late, TEXTS[0]])

    assert dense is not None
    assert dense.shape == (2, 3)
    assert np.linalg.norm(dense, axis=1) == pytest.approx([1.0, 1.0], abs=1e-5)


def test_within_a_theme_what_all_its_texts_share_no_longer_hides_its_topics() -> None:
    # Two themes of a round; theme A's texts all lean strongly along one direction, and fall
    # in two topics that differ only a little (dimensions 2 and 3). Theme B's texts differ
    # widely among themselves: that is the round's strongest common direction, not theme A's.
    rng = np.random.default_rng(5)
    theme_a = [Text(f"Bijdrage {n}.", "nl") for n in range(12)]
    theme_b = [Text(f"Inbreng {n}.", "nl") for n in range(12)]
    vectors = {
        t.text: [3.0, 0.0, 0.3 * (n % 2), 0.3 * (1 - n % 2), *rng.normal(size=4) * 0.05]
        for n, t in enumerate(theme_a)
    }
    vectors |= {
        t.text: [0.0, 3.0, 0.0, 0.0, 8.0 * (-1) ** n, *rng.normal(size=3)]
        for n, t in enumerate(theme_b)
    }
    corpus = Corpus([*theme_a, *theme_b], FixedEmbedder(vectors))

    def topic_gap(X: object) -> float:
        same = [_cosine(X, i, j) for i in range(12) for j in range(12) if i != j and i % 2 == j % 2]
        other = [_cosine(X, i, j) for i in range(12) for j in range(12) if i % 2 != j % 2]
        return float(np.mean(same) - np.mean(other))

    plain = represent(theme_a, corpus=corpus)
    centred = represent(theme_a, corpus=corpus, centre=theme_centre(theme_a, corpus))

    assert topic_gap(centred) > 2 * topic_gap(plain)
    assert np.linalg.norm(centred.toarray(), axis=1) == pytest.approx(np.ones(12), abs=1e-5)


def test_a_theme_with_few_texts_is_not_centred() -> None:
    fixed = FixedEmbedder({t.text: np.random.default_rng(6).normal(size=8).tolist() for t in TEXTS})
    assert theme_centre(TEXTS, Corpus(TEXTS, fixed)) is None
