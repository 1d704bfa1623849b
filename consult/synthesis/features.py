"""Turn texts into vectors: compound-aware TF-IDF over stems by default, optionally joined with
sentence embeddings from a local model."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from consult.synthesis.compounds import split_compound
from consult.synthesis.embeddings import Embedder
from consult.synthesis.text import STOPWORDS_NL, stem, terms


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


def tfidf(items: Sequence[Text]) -> sp.csr_matrix:
    vectorizer = TfidfVectorizer(analyzer=tokens, sublinear_tf=True, dtype=np.float32)
    return sp.csr_matrix(vectorizer.fit_transform(items))


def represent(items: Sequence[Text], embedder: Embedder | None = None) -> sp.csr_matrix:
    """L2-normalised rows. With an embedder, its dense vectors and the TF-IDF vectors each
    carry half of the similarity, so words people share still count."""
    lexical = tfidf(items)
    if embedder is None:
        return lexical
    dense = embedder.embed([i.text for i in items]).astype(np.float32)
    joined = sp.hstack([lexical * np.float32(np.sqrt(0.5)), sp.csr_matrix(dense * np.sqrt(0.5))])
    return sp.csr_matrix(normalize(joined))
