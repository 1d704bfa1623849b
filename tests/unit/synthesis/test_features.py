"""Texts as vectors: stems plus compound parts, rows of length 1, and optional embeddings that
share the similarity with the words."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import pytest

from consult.synthesis.features import Text, represent, tfidf, tokens
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
    vectors = {t.text: [float(i == n) for i in range(3)] for n, t in enumerate(TEXTS[:3])}
    vectors[TEXTS[3].text] = [1.0, 1.0, 1.0]
    embedder = FixedEmbedder(vectors)

    lexical = tfidf(TEXTS).toarray()
    joined = represent(TEXTS, embedder).toarray()
    dense = embedder.embed([t.text for t in TEXTS])

    assert joined.shape == (len(TEXTS), lexical.shape[1] + 3)
    assert np.linalg.norm(joined, axis=1) == pytest.approx(np.ones(len(TEXTS)), abs=1e-5)
    # Words and embedding each carry half of the similarity.
    assert joined[:, : lexical.shape[1]] == pytest.approx(lexical * np.sqrt(0.5), abs=1e-5)
    assert joined[:, lexical.shape[1] :] == pytest.approx(dense * np.sqrt(0.5), abs=1e-5)


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
    embedder = FixedEmbedder(
        {texts[0].text: [1.0, 0.0], texts[1].text: [1.0, 0.0], texts[2].text: [0.0, 1.0]}
    )

    without = represent(texts)
    with_model = represent(texts, embedder)

    assert _cosine(with_model, 0, 1) > _cosine(without, 0, 1) + 0.4
    # Texts the model finds unrelated do not gain anything.
    assert _cosine(with_model, 0, 2) <= _cosine(without, 0, 2) + 1e-6
