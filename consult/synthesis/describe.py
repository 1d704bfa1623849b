"""Words for a group: a draft title, key terms in their natural form, an extractive summary and
representative quotes. Only quotable texts are ever used verbatim."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from consult.synthesis.features import Text, tfidf
from consult.synthesis.text import SurfaceForms, sentences, terms

MAX_TERMS = 6
MAX_QUOTES = 4
SUMMARY_CHARS = 400


@dataclass(frozen=True)
class Member:
    id: int
    text: str
    language: str
    quotable: bool
    contributor: str
    sector: str


@dataclass(frozen=True)
class Description:
    title: str
    summary: str
    key_terms: tuple[str, ...]
    quote_ids: tuple[int, ...]


def key_terms(members: Sequence[Member], limit: int = MAX_TERMS) -> list[str]:
    """Stems weighted by how many members use them (a term of one member does not describe the
    group), shown as the form people wrote most often."""
    forms = SurfaceForms()
    used_by: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for member in members:
        pairs = terms(member.text, member.language)
        forms.add(pairs)
        stems = [s for s, _ in pairs]
        used_by.update(set(stems))
        total.update(stems)
    ranked = sorted(total, key=lambda s: (-used_by[s], -total[s], s))
    return [forms.natural(s) for s in ranked[:limit]]


def _title(terms_: Sequence[str], language: str) -> str:
    if not terms_:
        return "Zonder titel" if language != "en" else "Untitled"
    head = list(terms_[:3])
    joiner = " and " if language == "en" else " en "
    text = head[0] if len(head) == 1 else ", ".join(head[:-1]) + joiner + head[-1]
    return text[:1].upper() + text[1:]


def describe(members: Sequence[Member], language: str = "nl") -> Description:
    terms_ = key_terms(members)
    quotable = [m for m in members if m.quotable]
    if not quotable:
        return Description(_title(terms_, language), "", tuple(terms_), ())
    # Rank quotable texts and their sentences by closeness to the group's centre.
    texts = [Text(m.text, m.language) for m in members]
    units = [(m.id, s, m.language) for m in quotable for s in sentences(m.text)]
    matrix = tfidf(texts + [Text(s, lang) for _, s, lang in units])
    centre = np.asarray(matrix[: len(members)].mean(axis=0)).ravel()
    member_scores = _scores(matrix[: len(members)], centre)
    sentence_scores = _scores(matrix[len(members) :], centre)
    fitting = [i for i in np.argsort(-sentence_scores) if len(units[i][1]) <= SUMMARY_CHARS]
    summary = units[int(fitting[0] if fitting else np.argmax(sentence_scores))][1]
    by_score = sorted(
        (m for m in members if m.quotable),
        key=lambda m: -member_scores[members.index(m)],
    )
    quotes: list[int] = []
    seen_people: set[str] = set()
    seen_sectors: set[str] = set()
    # First pass prefers new voices (other people, other sectors); second fills up.
    for strict in (True, False):
        for m in by_score:
            if len(quotes) == MAX_QUOTES or m.id in quotes:
                continue
            if strict and (m.contributor in seen_people or m.sector in seen_sectors):
                continue
            quotes.append(m.id)
            seen_people.add(m.contributor)
            seen_sectors.add(m.sector)
    return Description(
        _title(terms_, language), summary[:SUMMARY_CHARS], tuple(terms_), tuple(quotes)
    )


def _scores(matrix: sp.csr_matrix, centre: np.ndarray) -> np.ndarray:
    return np.asarray(matrix @ centre).ravel()
