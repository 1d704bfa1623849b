"""Dutch-aware tokens: stop words removed, stems for matching, natural forms for people."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from functools import cache, lru_cache
from typing import Any

import snowballstemmer

WORD = re.compile(r"[a-zà-ÿ][a-zà-ÿ'-]*[a-zà-ÿ]|[a-zà-ÿ]", re.IGNORECASE)

# Function words and common verbs that say nothing about a topic.
_NL_STOPWORDS = """
aan acht af al alle alleen als altijd alweer andere ben bij bijvoorbeeld blijft blijven daar
daarbij daarom dan dat de der derde deze die dit doch doen doet door drie duizend dus echter
een eens eerste eigenlijk elk elke en enkele er erg gaan gaat ge geef geen geleden geweest
gewoon ging goed haar had heb hebben heeft heel hem hen het hier hierbij hij hoe honderd hun
iets ik in is ja je jullie kan kom komen komt kon krijgen krijgt kunnen laat laten maak maakt
maar maken me mee meer meest men met mij mijn minder moet moeten mogen na naar negen niet
niets nodig nog nooit nu of om omdat onder ons onze ook op over paar per reeds ruim samen
staan staat steeds sterk te tegen terwijl tien toch toen tot twee tweede u uit uw vaak van
veel via vier vijf volgend volgende voor vooral vorig vorige waar wanneer want waren was wat
we weer weinig wel welke werd werden wezen wie wij wil willen worden wordt zal ze zeer zeggen
zegt zelf zelfs zes zeven zich zien ziet zij zijn zit zitten zo zoals zonder zou zouden zowel
"""
_EN_STOPWORDS = """
a about above after again all also am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further get got
had has have having he her here hers herself him himself his how i if in into is it its itself
just lot make makes many me more most much my myself need needs no nor not now of off on once
only or other our ours ourselves out over own same she should so some such than that the their
theirs them themselves then there these they this those through to too under until up very was
we were what when where which while who whom why will with would you your yours yourself
yourselves
"""
STOPWORDS_NL = frozenset(_NL_STOPWORDS.split())
STOPWORDS_EN = frozenset(_EN_STOPWORDS.split())


@cache
def _stemmer(language: str) -> Any:
    # dutch_porter keeps compounds intact; the newer "dutch" stemmer mangles them.
    return snowballstemmer.stemmer("english" if language == "en" else "dutch_porter")


@lru_cache(maxsize=500_000)
def stem(word: str, language: str) -> str:
    # Cached: the snowball stemmers are pure Python, and texts repeat their words a lot.
    return str(_stemmer("en" if language == "en" else "nl").stemWord(word))


def words(text: str) -> list[str]:
    return [m.group(0).lower().strip("'-") for m in WORD.finditer(text)]


def terms(text: str, language: str) -> list[tuple[str, str]]:
    """(stem, surface form) for each content word of the text."""
    stop = STOPWORDS_EN if language == "en" else STOPWORDS_NL
    content = [w for w in words(text) if len(w) > 2 and w not in stop]
    return [(stem(w, language), w) for w in content]


class SurfaceForms:
    """Remembers how people actually wrote each stem, to show key terms unstemmed."""

    def __init__(self) -> None:
        self._seen: defaultdict[str, Counter[str]] = defaultdict(Counter)

    def add(self, pairs: Iterable[tuple[str, str]]) -> None:
        for stem, surface in pairs:
            self._seen[stem][surface] += 1

    def natural(self, stem: str) -> str:
        forms = self._seen.get(stem)
        return forms.most_common(1)[0][0] if forms else stem


def sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+", text.strip())
    return [p.strip() for p in parts if p.strip()]
