"""Dutch compounds count for their parts too: "stageplaatsen" is also about "stage"."""

from __future__ import annotations

import pytest
from wordfreq import zipf_frequency

from consult.synthesis.compounds import MIN_PART_ZIPF, split_compound


@pytest.mark.parametrize(
    ("word", "parts"),
    [
        ("stageplaatsen", ("stage", "plaatsen")),
        ("zorgmedewerkers", ("zorg", "medewerkers")),
        ("werkdruk", ("werk", "druk")),
        ("stagevergoeding", ("stage", "vergoeding")),
        ("personeelstekort", ("personeel", "tekort")),
    ],
)
def test_compounds_split_into_two_everyday_words(word: str, parts: tuple[str, str]) -> None:
    assert split_compound(word) == parts


@pytest.mark.parametrize(
    ("word", "parts"),
    [
        ("arbeidsmarkt", ("arbeid", "markt")),
        ("veiligheidsbeleid", ("veiligheid", "beleid")),
        ("bedrijfsarts", ("bedrijf", "arts")),
    ],
)
def test_the_linking_s_belongs_to_neither_part(word: str, parts: tuple[str, str]) -> None:
    head, tail = parts
    # The parts are words in their own right; the form with the "s" is not what we want.
    assert zipf_frequency(head, "nl") >= MIN_PART_ZIPF
    assert zipf_frequency(tail, "nl") >= MIN_PART_ZIPF
    assert word == f"{head}s{tail}"
    assert split_compound(word) == parts


@pytest.mark.parametrize(
    "word",
    [
        # A word with a suffix, not a compound: "-ing" is no word of its own.
        "begeleiding",
        "opleiding",
        # Too short to hold two words.
        "zorg",
        "werk",
        "huis",
        # An ordinary word that happens to be seven letters long.
        "rooster",
        # Already split by whoever wrote it.
        "zorg-verzekeraar",
        "stage-plaatsen",
    ],
)
def test_words_that_are_not_compounds_stay_whole(word: str) -> None:
    assert split_compound(word) == ()


@pytest.mark.parametrize("word", ["ziekenhuis", "parkeren", "verschijnt", "zorgverzekeraar"])
def test_common_words_and_prefixed_words_are_not_cut(word: str) -> None:
    # More common than their would-be parts, or starting with a prefix such as ver-.
    assert split_compound(word) == ()
