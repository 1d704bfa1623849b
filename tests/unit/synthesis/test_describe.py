"""Drafts staff can read: titles that are phrases people wrote, key terms without function
words or numbers, summaries that stand on their own, quotes that do not repeat each other."""

from __future__ import annotations

from consult.synthesis.describe import Member, describe, key_phrase, key_terms, stands_alone


def _members(*texts: str, quotable: bool = True) -> list[Member]:
    return [Member(i, t, "nl", quotable, f"p{i}", f"s{i}") for i, t in enumerate(texts, 1)]


STAGES = _members(
    "Er zijn te weinig stageplaatsen in de ouderenzorg. Eén jaar wachten is normaal.",
    "Dat kostte een jaar overleg. Meer stageplaatsen in de ouderenzorg vraagt begeleiding.",
    "De begeleiding van studenten op stageplaatsen in de ouderenzorg kost teams veel tijd.",
    "Twee scholen zoeken samen stageplaatsen in de ouderenzorg voor hun studenten.",
)


def test_the_title_is_the_phrase_most_members_wrote() -> None:
    assert key_phrase(STAGES) == "stageplaatsen in de ouderenzorg" or (
        key_phrase(STAGES) or ""
    ).startswith("stageplaatsen")
    assert describe(STAGES).title.startswith("Stageplaatsen")


def test_a_phrase_keeps_compounds_whole_and_never_runs_across_punctuation() -> None:
    members = _members(
        "Te weinig mensen = uitval, zeggen teams.",
        "Te weinig mensen = uitval op de afdeling.",
    )
    phrase = key_phrase(members) or ""
    assert "mensen uitval" not in phrase


def test_key_terms_leave_out_function_words_and_numbers() -> None:
    terms = key_terms(STAGES)
    for word in ("één", "eén", "jaar", "twee", "dat", "een", "zijn"):
        assert word not in terms
    assert "stageplaatsen" in terms and "ouderenzorg" in terms


def test_the_summary_never_opens_with_a_word_pointing_back() -> None:
    summary = describe(STAGES).summary
    assert stands_alone(summary)
    assert not summary.startswith("Dat")
    for opener in ("Dat", "Dit", "Daarom", "Ook", "Daardoor"):
        assert not stands_alone(f"{opener} is een zin.")
    assert stands_alone("Stageplaatsen zijn schaars.")


def test_quotes_do_not_say_the_same_thing_twice() -> None:
    same = "Er zijn te weinig stageplaatsen in de ouderenzorg voor studenten."
    members = _members(same, same + " Echt.", "Begeleiding op de stageplek kost teams tijd.")
    quotes = describe(members).quote_ids
    assert not {1, 2} <= set(quotes)
    assert 3 in quotes


def test_unquotable_members_are_never_the_summary_or_a_quote() -> None:
    members = [*_members(*[m.text for m in STAGES[:2]], quotable=False)]
    members += [Member(9, STAGES[2].text, "nl", True, "p9", "s9")]
    description = describe(members)
    assert description.quote_ids == (9,)
    assert description.summary in STAGES[2].text
