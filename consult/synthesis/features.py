"""Turn texts into vectors: compound-aware TF-IDF over stems by default, optionally joined with
sentence embeddings from a local model.

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


@dataclass(frozen=True)
class Text:
    text: str
    language: str


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
    common directions of their embeddings. Each text is embedded once; `represent` reuses it."""

    def __init__(self, items: Sequence[Text], embedder: Embedder | None = None) -> None:
        self._vectorizer = _vectorizer().fit(items) if items else None
        self.embedder = embedder
        self._dense: dict[str, npt.NDArray[np.float32]] = {}
        self._mean: npt.NDArray[np.float32] | None = None
        self._directions: npt.NDArray[np.float32] | None = None
        if embedder is not None and items:
            texts = list(dict.fromkeys(i.text for i in items))
            raw = embedder.embed(texts).astype(np.float32)
            self._mean, self._directions = common_directions(raw)
            cleaned = remove_common(raw, self._mean, self._directions)
            self._dense = dict(zip(texts, cleaned, strict=True))

    def lexical(self, items: Sequence[Text]) -> sp.csr_matrix:
        if self._vectorizer is None:
            return tfidf(items)
        # A text with no word the round has seen is a zero row: related to nothing by words.
        return sp.csr_matrix(self._vectorizer.transform(items))

    def dense(self, items: Sequence[Text]) -> npt.NDArray[np.float32] | None:
        if self.embedder is None or self._mean is None or self._directions is None:
            return None
        missing = list(dict.fromkeys(i.text for i in items if i.text not in self._dense))
        if missing:
            raw = self.embedder.embed(missing).astype(np.float32)
            cleaned = remove_common(raw, self._mean, self._directions)
            self._dense.update(zip(missing, cleaned, strict=True))
        return np.stack([self._dense[i.text] for i in items])


def _join(lexical: sp.csr_matrix, dense: npt.NDArray[np.float32]) -> sp.csr_matrix:
    half = np.float32(np.sqrt(0.5))
    joined = sp.hstack([lexical * half, sp.csr_matrix(dense.astype(np.float32) * half)])
    return sp.csr_matrix(normalize(joined))


def represent(
    items: Sequence[Text], embedder: Embedder | None = None, corpus: Corpus | None = None
) -> sp.csr_matrix:
    """L2-normalised rows. With an embedder, its dense vectors and the TF-IDF vectors each
    carry half of the similarity, so words people share still count. With a corpus, word
    weights and embeddings come from it (its embedder, not `embedder`, is used)."""
    if corpus is not None:
        dense = corpus.dense(items)
        lexical = corpus.lexical(items)
        return lexical if dense is None else _join(lexical, dense)
    lexical = tfidf(items)
    if embedder is None:
        return lexical
    return _join(lexical, embedder.embed([i.text for i in items]))
