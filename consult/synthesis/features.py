"""Turn texts into vectors: compound-aware TF-IDF over stems, joined with multilingual sentence
embeddings (consult.synthesis.embeddings) where the model is installed.

Word weights and the embedding's common directions are best learned from the whole round, not
from one theme: a word every theme uses ("corona", "zorg") says little about which building
block a text belongs to, and one theme alone is too small to see that. `Corpus` holds those
round-wide statistics; without one, each call learns them from the texts it is given."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from consult.synthesis.compounds import split_compound
from consult.synthesis.embeddings import Embedder
from consult.synthesis.text import STOPWORDS_NL, stem, terms

# Mu & Viswanath (2018), "All-but-the-Top": remove the mean and about d/100 top principal
# directions of an embedding space; they carry what all texts share, not what sets them apart.
COMMON_DIRECTIONS_PER_DIMENSION = 1 / 100
MIN_TEXTS_PER_LANGUAGE = 10
# A theme is centred on its own mean (theme_centre) only when it has this many texts: the mean
# of a handful is mostly those texts.
MIN_TEXTS_PER_THEME = 10
ROWS_PER_COMMON_DIRECTION = 20


@dataclass(frozen=True, eq=False)
class Text:
    text: str
    language: str
    # The stored embedding of the text (consult.synthesis.store), when there is one.
    vector: npt.NDArray[np.float32] | None = None


def tokens(item: Text) -> list[str]:
    """Stems of the content words, plus the stems of the parts of Dutch compounds, so that
    "stageplaatsen" meets "stage" and "plaatsen" written on their own or in other compounds."""
    out: list[str] = []
    for word_stem, surface in terms(item.text, item.language):
        out.append(word_stem)
        if item.language != "en":
            for part in split_compound(surface):
                if part not in STOPWORDS_NL:
                    out.append(stem(part, "nl"))
    return out


def _vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(analyzer=tokens, sublinear_tf=True, dtype=np.float32)


def tfidf(items: Sequence[Text]) -> sp.csr_matrix:
    return sp.csr_matrix(_vectorizer().fit_transform(items))


def common_directions(
    vectors: npt.NDArray[np.float32], count: int | None = None
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """(mean, top principal directions) of the rows: what the rows have in common. `count`
    defaults to d/100 (at least one), and is never more than the rows can show."""
    rows, dims = vectors.shape
    mean = vectors.mean(axis=0) if rows else np.zeros(dims, dtype=np.float32)
    if count is None:
        count = max(1, round(dims * COMMON_DIRECTIONS_PER_DIMENSION))
    count = min(count, max(rows - 1, 0))
    if count == 0:
        return mean.astype(np.float32), np.zeros((0, dims), dtype=np.float32)
    _, _, vt = np.linalg.svd(vectors - mean, full_matrices=False)
    return mean.astype(np.float32), vt[:count].astype(np.float32)


def remove_common(
    vectors: npt.NDArray[np.float32],
    mean: npt.NDArray[np.float32],
    directions: npt.NDArray[np.float32],
) -> npt.NDArray[np.float32]:
    """The rows without the mean and the common directions, at length 1 (0 stays 0)."""
    centred = vectors - mean
    rest = centred - (centred @ directions.T) @ directions
    return np.asarray(normalize(rest), dtype=np.float32)


class Corpus:
    """Round-wide statistics: the word weights (IDF) of all texts and, with an embedder, the
    mean embedding per language and the common directions of the embeddings. Each text is
    embedded at most once (stored vectors are used as they are); `represent` reuses it."""

    def __init__(self, items: Sequence[Text], embedder: Embedder | None = None) -> None:
        self._vectorizer = _vectorizer().fit(items) if items else None
        self.embedder = embedder
        self._raw: dict[tuple[str, str], npt.NDArray[np.float32]] = {}
        self._means: dict[str, npt.NDArray[np.float32]] = {}
        self._directions: npt.NDArray[np.float32] | None = None
        if embedder is not None and items:
            self._remember(items)
            by_language: dict[str, list[npt.NDArray[np.float32]]] = {}
            for (_, language), vector in self._raw.items():
                by_language.setdefault(language, []).append(vector)
            # A text in English lies apart from the same point made in Dutch; centring each
            # language on its own mean puts both in one space before the common directions go.
            overall = np.mean(list(self._raw.values()), axis=0).astype(np.float32)
            # The mean of a handful of texts is mostly those texts: centring on it would wipe
            # out what they say, so a language with few texts is centred on the round's mean.
            self._means = {
                k: np.mean(v, axis=0).astype(np.float32)
                if len(v) >= MIN_TEXTS_PER_LANGUAGE
                else overall
                for k, v in by_language.items()
            }
            centred = np.stack([v - self._means[k[1]] for k, v in self._raw.items()])
            # A direction seen in a few texts is what those texts say, not what all share.
            most = len(centred) // ROWS_PER_COMMON_DIRECTION
            _, self._directions = common_directions(
                centred,
                min(most, max(1, round(centred.shape[1] * COMMON_DIRECTIONS_PER_DIMENSION))),
            )

    def _remember(self, items: Sequence[Text]) -> None:
        missing: dict[tuple[str, str], None] = {}
        for item in items:
            key = (item.text, item.language)
            if key in self._raw:
                continue
            if item.vector is not None:
                self._raw[key] = np.asarray(item.vector, dtype=np.float32)
            else:
                missing[key] = None
        if missing and self.embedder is not None:
            keys = list(missing)
            vectors = self.embedder.embed([text for text, _ in keys]).astype(np.float32)
            self._raw.update(zip(keys, vectors, strict=True))

    def lexical(self, items: Sequence[Text]) -> sp.csr_matrix:
        if self._vectorizer is None:
            return tfidf(items)
        # A text with no word the round has seen is a zero row: related to nothing by words.
        return sp.csr_matrix(self._vectorizer.transform(items))

    def dense(self, items: Sequence[Text]) -> npt.NDArray[np.float32] | None:
        if self.embedder is None or self._directions is None:
            return None
        self._remember(items)
        overall: npt.NDArray[np.float32] = np.mean(list(self._means.values()), axis=0)
        raw = np.stack([self._raw[(i.text, i.language)] for i in items])
        means = np.stack([self._means.get(i.language, overall) for i in items])
        return remove_common(raw, means, self._directions)


def _join(lexical: sp.csr_matrix, dense: npt.NDArray[np.float32]) -> sp.csr_matrix:
    half = np.float32(np.sqrt(0.5))
    joined = sp.hstack([lexical * half, sp.csr_matrix(dense.astype(np.float32) * half)])
    return sp.csr_matrix(normalize(joined))


def theme_centre(items: Sequence[Text], corpus: Corpus) -> npt.NDArray[np.float32] | None:
    """The mean embedding of one theme's texts, for `represent(..., centre=)`; None without
    embeddings or with too few texts to tell the theme from what they say."""
    dense = corpus.dense(items)
    if dense is None or len(items) < MIN_TEXTS_PER_THEME:
        return None
    return np.asarray(dense.mean(axis=0), dtype=np.float32)


def represent(
    items: Sequence[Text],
    embedder: Embedder | None = None,
    corpus: Corpus | None = None,
    centre: npt.NDArray[np.float32] | None = None,
) -> sp.csr_matrix:
    """L2-normalised rows. With an embedder, its dense vectors and the TF-IDF vectors each
    carry half of the similarity, so words people share still count. With a corpus, word
    weights and embeddings come from it (its embedder, not `embedder`, is used); without one,
    they are learned from `items`.

    `centre` (theme_centre): the embeddings are taken relative to their theme's mean. Within a
    theme every text shares what the theme is about; without it, that shared part dominates
    every similarity and hides what sets one block apart from the next."""
    if corpus is None:
        corpus = Corpus(items, embedder)
    dense = corpus.dense(items)
    lexical = corpus.lexical(items)
    if dense is None:
        return lexical
    if centre is not None:
        dense = np.asarray(normalize(dense - centre), dtype=np.float32)
    return _join(lexical, dense)
