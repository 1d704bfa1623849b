"""Dutch-aware words: compounds stay whole for matching, stop words never become terms."""

from __future__ import annotations

from consult.synthesis.text import terms


def test_dutch_stemming_keeps_compounds_intact() -> None:
    ((stem, surface),) = terms("stageplaatsen", "nl")
    assert surface == "stageplaatsen"
    assert stem.startswith("stageplaats")
    # Plural and singular forms of everyday words meet on one stem.
    assert {s for s, _ in terms("nachtdienst nachtdiensten", "nl")} == {"nachtdienst"}


def test_stop_words_and_short_words_are_not_terms() -> None:
    assert [surface for _, surface in terms("Het is nu de tijd voor een ok rooster.", "nl")] == [
        "tijd",
        "rooster",
    ]
