"""Split Dutch compounds into their parts, so "stageplaatsen" also counts as "stage" and
"plaatsen". Uses the word frequencies of the wordfreq package (installed data, no download):
a split is accepted only when both parts are common Dutch words on their own."""

from __future__ import annotations

from functools import lru_cache

from wordfreq import zipf_frequency

# Zipf 3 is about once per million words: common enough to be a word people know.
MIN_PART_ZIPF = 3.0
# Four letters or more: shorter heads are mostly prefixes (ver-, ont-, her-), not words.
MIN_PART_LENGTH = 4
# A last part of four letters or more: shorter tails are mostly suffixes (-ing, -ig, -er).
MIN_TAIL_LENGTH = 4
# Linking sounds between the parts of a Dutch compound (arbeid-s-markt, huisarts-en-praktijk).
LINKERS = ("s", "en", "e")


@lru_cache(maxsize=200_000)
def split_compound(word: str) -> tuple[str, ...]:
    """The two parts of a compound, or () if the word is not one (or is common by itself
    in a way that makes splitting pointless, such as a short word)."""
    if len(word) < MIN_PART_LENGTH + MIN_TAIL_LENGTH or "-" in word:
        return ()
    best: tuple[float, str, str] | None = None
    for cut in range(MIN_PART_LENGTH, len(word) - MIN_TAIL_LENGTH + 1):
        head, tail = word[:cut], word[cut:]
        tail_zipf = zipf_frequency(tail, "nl")
        if tail_zipf < MIN_PART_ZIPF:
            continue
        for candidate in (head, *(head[: -len(x)] for x in LINKERS if head.endswith(x))):
            if len(candidate) < MIN_PART_LENGTH:
                continue
            score = min(zipf_frequency(candidate, "nl"), tail_zipf)
            if score >= MIN_PART_ZIPF and (best is None or score > best[0]):
                best = (score, candidate, tail)
    # A real compound is rarer than both its parts; a word more common than a "part" is a word
    # of its own (ziekenhuis is not about being ill, parkeren has no "eren").
    if best is None or zipf_frequency(word, "nl") >= best[0]:
        return ()
    return (best[1], best[2])
