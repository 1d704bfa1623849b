"""Words for a group: a draft title, key terms in their natural form, an extractive summary and
representative quotes. Only quotable texts are ever used verbatim."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from consult.synthesis.features import Text, tfidf
from consult.synthesis.text import (
    STOPWORDS_EN,
    STOPWORDS_NL,
    SurfaceForms,
    sentences,
    stem,
    terms,
    words,
)

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


def _display_stop_words() -> frozenset[str]:
    # A maintained list (stop-words package) on top of ours, for both languages of a round:
    # words shown to people must carry meaning, and a Dutch round holds English texts too.
    from stop_words import get_stop_words  # type: ignore[import-untyped]

    return frozenset(
        {*STOPWORDS_NL, *STOPWORDS_EN, *get_stop_words("dutch"), *get_stop_words("english")}
        | NUMBERS_AND_TIME
    )


# Numbers, amounts of time and words that only point at something: they say nothing about what
# a block is about ("één", "jaar", "eigen" topped the key terms of real drafts).
NUMBERS_AND_TIME = frozenset(
    [
        "één",
        "eén",
        "een",
        "twee",
        "drie",
        "vier",
        "vijf",
        "zes",
        "zeven",
        "acht",
        "negen",
        "tien",
        "elf",
        "twaalf",
        "twintig",
        "dertig",
        "veertig",
        "vijftig",
        "honderd",
        "duizend",
        "miljoen",
        "half",
        "helft",
        "eerste",
        "tweede",
        "derde",
        "keer",
        "jaar",
        "jaren",
        "maand",
        "maanden",
        "week",
        "weken",
        "dag",
        "dagen",
        "uur",
        "uren",
        "nu",
        "straks",
        "eigen",
        "andere",
        "ander",
        "elkaar",
        "iets",
        "niets",
        "alles",
        "veel",
        "weinig",
        "meer",
        "minder",
        "echt",
        "gewoon",
        "wel",
        "goed",
        "graag",
        "vaak",
        "soms",
        "one",
        "two",
        "three",
        "four",
        "five",
        "first",
        "second",
        "year",
        "years",
        "month",
        "months",
        "week",
        "weeks",
        "day",
        "days",
        "time",
    ]
)
DISPLAY_STOP = _display_stop_words()
# Small words that may stand inside a title phrase ("behoud van personeel").
LINKS = frozenset(
    {"van", "voor", "in", "op", "met", "en", "bij", "naar", "de", "het", "and", "of", "the"}
)
# Words that point back to something said before: a sentence opening with one cannot stand
# alone as a summary ("Dat kostte een jaar overleg" - what did?).
BACK_POINTING = frozenset(
    [
        "dat",
        "dit",
        "die",
        "deze",
        "daarom",
        "daardoor",
        "daarnaast",
        "daarbij",
        "daarvoor",
        "daarmee",
        "daarna",
        "daar",
        "dus",
        "ook",
        "bovendien",
        "verder",
        "hierdoor",
        "hierbij",
        "hiervoor",
        "hiermee",
        "hier",
        "toen",
        "zo",
        "zij",
        "ze",
        "hij",
        "het",
        "maar",
        "en",
        "want",
        "echter",
        "wel",
        "anders",
        "tevens",
        "eveneens",
        "vervolgens",
        "zulke",
        "zoiets",
        "that",
        "this",
        "these",
        "those",
        "therefore",
        "so",
        "also",
        "it",
        "they",
        "he",
        "she",
        "but",
        "and",
        "then",
        "however",
    ]
)
MAX_TITLE_WORDS = 4
# A phrase never runs across punctuation ("te weinig mensen = uitval" has no "mensen uitval").
CLAUSE_BREAK = re.compile(r"[,;:()=+/&\"\u201c\u201d\u2018\u2019|]|\s[-\u2013\u2014]\s")
# Quotes this alike (cosine of their word vectors) say the same thing twice.
SAME_QUOTE = 0.5


def _content(word: str) -> bool:
    return len(word) > 2 and word not in DISPLAY_STOP and not any(ch.isdigit() for ch in word)


def key_terms(members: Sequence[Member], limit: int = MAX_TERMS) -> list[str]:
    """Stems weighted by how many members use them (a term of one member does not describe the
    group), shown as the form people wrote most often; function words and numbers left out."""
    forms = SurfaceForms()
    used_by: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for member in members:
        pairs = [(s, w) for s, w in terms(member.text, member.language) if _content(w)]
        forms.add(pairs)
        stems = [s for s, _ in pairs]
        used_by.update(set(stems))
        total.update(stems)
    ranked = sorted(total, key=lambda s: (-used_by[s], -total[s], s))
    return [forms.natural(s) for s in ranked[:limit]]


def _spans(text: str) -> list[list[str]]:
    """Runs of two to four words within one clause, content words at both ends."""
    found: list[list[str]] = []
    for sentence in sentences(text):
        for clause in CLAUSE_BREAK.split(sentence):
            ws = words(clause)
            for i, first in enumerate(ws):
                if not _content(first):
                    continue
                for n in range(2, MAX_TITLE_WORDS + 1):
                    span = ws[i : i + n]
                    inner = span[1:-1]
                    if (
                        len(span) == n
                        and _content(span[-1])
                        and all(_content(w) or w in LINKS for w in inner)
                    ):
                        found.append(span)
    return found


def key_phrase(members: Sequence[Member]) -> str | None:
    """The multi-word phrase that best names the group: two to four words, content words at both
    ends (small linking words like "van" may stand between), counted by stems so "stageplaatsen
    in de ouderenzorg" and "stageplaats in de ouderenzorg" meet; one that several members use
    comes first. None if no member wrote two content words together."""
    used_by: Counter[tuple[str, ...]] = Counter()
    forms: dict[tuple[str, ...], Counter[str]] = {}
    for member in members:
        seen: set[tuple[str, ...]] = set()
        for span in _spans(member.text):
            key = tuple(stem(w, member.language) for w in span)
            seen.add(key)
            forms.setdefault(key, Counter())[" ".join(span)] += 1
        used_by.update(seen)
    if not used_by:
        return None
    word_use: Counter[str] = Counter()
    for member in members:
        word_use.update({stem(w, member.language) for w in words(member.text) if _content(w)})
    # Most members first; then the phrase whose words the most members use (a phrase of one
    # member still names the group when its words are the group's); then the longer one.
    best = max(
        used_by,
        key=lambda k: (
            min(used_by[k], 2),
            sum(word_use[w] for w in k) / len(k),
            len(k),
            forms[k].most_common(1)[0][0],
        ),
    )
    return forms[best].most_common(1)[0][0]


def _title(members: Sequence[Member], terms_: Sequence[str], language: str) -> str:
    """The key phrase of the group, else its leading key term."""
    phrase = key_phrase(members)
    if phrase is None:
        if not terms_:
            return "Zonder titel" if language != "en" else "Untitled"
        phrase = terms_[0]
    return phrase[:1].upper() + phrase[1:]


def stands_alone(sentence: str) -> bool:
    """A sentence a summary may open with: it does not point back to one before it."""
    first = words(sentence)[:1]
    return bool(first) and first[0] not in BACK_POINTING


def describe(members: Sequence[Member], language: str = "nl") -> Description:
    terms_ = key_terms(members)
    title = _title(members, terms_, language)
    quotable = [m for m in members if m.quotable]
    if not quotable:
        return Description(title, "", tuple(terms_), ())
    # Rank quotable texts and their sentences by closeness to the group's centre.
    texts = [Text(m.text, m.language) for m in members]
    units = [(m.id, s, m.language) for m in quotable for s in sentences(m.text)]
    matrix = tfidf(texts + [Text(s, lang) for _, s, lang in units])
    centre = np.asarray(matrix[: len(members)].mean(axis=0)).ravel()
    member_scores = _scores(matrix[: len(members)], centre)
    sentence_scores = _scores(matrix[len(members) :], centre)
    order = [int(i) for i in np.argsort(-sentence_scores, kind="stable")]
    fitting = [i for i in order if len(units[i][1]) <= SUMMARY_CHARS]
    alone = [i for i in fitting if stands_alone(units[i][1])]
    summary = units[(alone or fitting or order)[0]][1]
    row_of = {m.id: n for n, m in enumerate(members)}
    by_score = sorted(quotable, key=lambda m: -member_scores[row_of[m.id]])
    quotes: list[int] = []
    seen_people: set[str] = set()
    seen_sectors: set[str] = set()
    # First pass prefers new voices (other people, other sectors) saying something new; the
    # second fills up, still never with a quote that repeats one already chosen.
    for strict in (True, False):
        for m in by_score:
            if len(quotes) == MAX_QUOTES or m.id in quotes:
                continue
            if strict and (m.contributor in seen_people or m.sector in seen_sectors):
                continue
            if quotes and _alike(matrix, row_of[m.id], [row_of[q] for q in quotes]):
                continue
            quotes.append(m.id)
            seen_people.add(m.contributor)
            seen_sectors.add(m.sector)
    return Description(title, summary[:SUMMARY_CHARS], tuple(terms_), tuple(quotes))


def _alike(matrix: sp.csr_matrix, row: int, chosen: list[int]) -> bool:
    """Whether the text of `row` says what one of the `chosen` texts already says."""
    similarity = (matrix[row] @ matrix[chosen].T).toarray()
    return bool(similarity.max() >= SAME_QUOTE)


def _scores(matrix: sp.csr_matrix, centre: np.ndarray) -> np.ndarray:
    return np.asarray(matrix @ centre).ravel()
