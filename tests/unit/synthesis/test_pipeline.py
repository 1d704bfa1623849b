"""The synthesis pipeline for one theme: topics come out as building blocks, nothing is lost,
nothing that may not be quoted is quoted, and blocks staff already have (anchors) attract the
texts that belong to them."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

import pytest

from consult.synthesis.pipeline import NewGroup, Outcome, Params, Unit, run
from consult.synthesis.text import sentences, words

# Our own texts, written for this test: three clearly different topics and one stray remark.
PARKING = (
    "Het parkeren bij het ziekenhuis kost personeel elke ochtend veel tijd. "
    "De parkeergarage staat vol met bezoekers.",
    "Parkeerplaatsen bij het ziekenhuis zijn schaars, dus collega's parkeren in de wijk en "
    "lopen twintig minuten.",
    "Geef personeel van het ziekenhuis een eigen parkeerterrein, dan verdwijnt de ergernis "
    "over parkeren.",
    "Betaald parkeren in de parkeergarage van het ziekenhuis is voor personeel met een laag "
    "salaris te duur.",
    "Het ziekenhuis moet meer parkeerplaatsen voor personeel bouwen, want parkeren in de wijk "
    "kost collega's veel tijd.",
    "Laat personeel gratis parkeren, want de parkeergarage van het ziekenhuis is een kostenpost.",
)
NIGHTS = (
    "Het rooster voor nachtdiensten verschijnt pas een week vooraf, waardoor gezinnen niets "
    "kunnen plannen.",
    "Oudere collega's willen minder nachtdiensten, maar het rooster houdt geen rekening met "
    "leeftijd.",
    "Met zelfroosteren kiezen teams zelf wie welke nachtdiensten draait, en het rooster klopt "
    "eerder.",
    "Na drie nachtdiensten op rij is herstel nodig; het rooster plant te weinig rustdagen na "
    "nachtdiensten.",
)
INTERNSHIPS = (
    "Er zijn te weinig stageplaatsen voor studenten van het mbo in de ouderenzorg.",
    "Studenten stoppen met hun stage als de begeleiding op de stageplek tekortschiet.",
    "School en zorgaanbieders plannen stageplaatsen samen, zodat iedere student een stage vindt.",
    "Een stagevergoeding maakt een stage aantrekkelijker voor studenten die naast school werken.",
)
STRAY = "De kantine serveert op vrijdag verse soep met brood."
STRAY_ID = 99

TOPICS = {"parking": PARKING, "nights": NIGHTS, "internships": INTERNSHIPS}


def _ids_of() -> dict[str, frozenset[int]]:
    ids: dict[str, frozenset[int]] = {}
    start = 1
    for topic, texts in TOPICS.items():
        ids[topic] = frozenset(range(start, start + len(texts)))
        start += len(texts)
    return ids


IDS = _ids_of()  # parking 1-6, nights 7-10, internships 11-14
ALL_TOPIC_IDS = IDS["parking"] | IDS["nights"] | IDS["internships"]


def _units(
    not_quotable: frozenset[int] = frozenset(),
    contributor: Mapping[int, str] | None = None,
    sector: Mapping[int, str] | None = None,
) -> list[Unit]:
    texts = [t for topic in TOPICS.values() for t in topic]
    units = [
        Unit(
            i,
            text,
            "nl",
            quotable=i not in not_quotable,
            contributor=(contributor or {}).get(i, f"persoon-{i}"),
            sector=(sector or {}).get(i, f"sector-{i}"),
        )
        for i, text in enumerate(texts, start=1)
    ]
    units.append(Unit(STRAY_ID, STRAY, "nl", contributor="kantinebezoeker", sector="facilitair"))
    return units


def _text(units: Sequence[Unit], unit_id: int) -> str:
    return next(u.text for u in units if u.id == unit_id)


def _group_sets(outcome: Outcome) -> set[frozenset[int]]:
    return {frozenset(g.unit_ids) for g in outcome.groups}


def _group(outcome: Outcome, ids: frozenset[int]) -> NewGroup:
    return next(g for g in outcome.groups if frozenset(g.unit_ids) == ids)


# --- new groups -----------------------------------------------------------------------------


def test_each_topic_comes_out_as_one_group_and_the_stray_text_is_unassigned() -> None:
    outcome = run(_units())

    assert _group_sets(outcome) == {IDS["parking"], IDS["nights"], IDS["internships"]}
    assert outcome.unassigned == (STRAY_ID,)
    assert outcome.joined == {}
    assert outcome.described_anchors == {}


@pytest.mark.parametrize(
    "anchors",
    [None, {"block:1": [1, 2]}, {"block:1": [1, 2], "block:2": [7]}],
    ids=["no-anchors", "one-anchor", "two-anchors"],
)
def test_every_unit_ends_up_in_exactly_one_place(anchors: dict[str, list[int]] | None) -> None:
    units = _units()
    outcome = run(units, anchors)

    anchored = [i for ids in (anchors or {}).values() for i in ids]
    placed = (
        anchored
        + list(outcome.joined)
        + [i for g in outcome.groups for i in g.unit_ids]
        + list(outcome.unassigned)
    )
    assert sorted(placed) == sorted(u.id for u in units)


@pytest.mark.parametrize("anchors", [None, {"block:1": [1, 2]}], ids=["plain", "anchored"])
def test_the_order_units_arrive_in_does_not_change_the_outcome(
    anchors: dict[str, list[int]] | None,
) -> None:
    units = _units()
    expected = run(units, anchors)
    for seed in range(3):
        shuffled = list(units)
        random.Random(seed).shuffle(shuffled)
        outcome = run(shuffled, anchors)
        assert _group_sets(outcome) == _group_sets(expected)
        assert outcome.unassigned == expected.unassigned
        assert dict(outcome.joined) == dict(expected.joined)


def test_a_group_needs_the_minimum_number_of_voices() -> None:
    # Only the parking topic has more than four texts; the others go to "unassigned".
    outcome = run(_units(), params=Params(min_group_size=5))

    assert _group_sets(outcome) == {IDS["parking"]}
    assert set(outcome.unassigned) == IDS["nights"] | IDS["internships"] | {STRAY_ID}


def test_a_theme_about_one_thing_becomes_one_group() -> None:
    units = [Unit(i, text) for i, text in enumerate(INTERNSHIPS, start=1)]
    outcome = run(units)

    assert _group_sets(outcome) == {frozenset({1, 2, 3, 4})}
    assert outcome.unassigned == ()


def test_nothing_to_group() -> None:
    assert run([]) == Outcome({}, (), ())
    assert run([Unit(5, STRAY)]) == Outcome({}, (), (5,), {}, {5: ()})


# --- descriptions ---------------------------------------------------------------------------


def test_key_terms_are_words_people_wrote_not_stems() -> None:
    units = _units()
    outcome = run(units)

    for group in outcome.groups:
        description = group.description
        written = {w for i in group.unit_ids for w in words(_text(units, i))}
        assert description.key_terms, group
        for term in description.key_terms:
            assert term in written, (term, group)
        # The draft title is a phrase of two or more words that a member wrote together.
        title = description.title.lower()
        assert len(title.split()) >= 2
        assert any(title in " ".join(words(_text(units, i))) for i in group.unit_ids)

    internships = _group(outcome, IDS["internships"]).description
    # The stem would be "stageplaats", which nobody wrote.
    assert "stageplaatsen" in internships.key_terms
    assert "stageplaats" not in internships.key_terms
    parking = _group(outcome, IDS["parking"]).description
    assert {"parkeren", "ziekenhuis"} <= set(parking.key_terms)
    assert "nachtdiensten" in _group(outcome, IDS["nights"]).description.key_terms


def test_the_summary_is_a_sentence_from_a_member_of_the_group() -> None:
    units = _units()
    outcome = run(units)

    for group in outcome.groups:
        member_sentences = {s for i in group.unit_ids for s in sentences(_text(units, i))}
        assert group.description.summary in member_sentences, group


def test_text_that_may_not_be_quoted_never_becomes_the_summary() -> None:
    first = run(_units())
    chosen = _group(first, IDS["parking"]).description.summary
    # Forbid quoting the unit the summary came from, and one more for good measure.
    source = next(i for i in IDS["parking"] if chosen in PARKING[i - 1])
    forbidden = frozenset({source, min(IDS["parking"] - {source})})

    units = _units(not_quotable=forbidden)
    group = _group(run(units), IDS["parking"])

    allowed = {s for i in IDS["parking"] - forbidden for s in sentences(_text(units, i))}
    assert group.description.summary in allowed
    for i in forbidden:
        assert group.description.summary not in _text(units, i)
        assert i not in group.description.quote_ids


def test_a_group_of_only_unquotable_units_still_forms_without_summary_or_quotes() -> None:
    units = _units(not_quotable=IDS["nights"])
    group = _group(run(units), IDS["nights"])

    assert group.description.summary == ""
    assert group.description.quote_ids == ()
    assert "nachtdiensten" in group.description.key_terms
    assert group.description.title


def test_each_group_offers_two_to_four_quotes_all_from_quotable_members() -> None:
    # Parking keeps four quotable members, nights two.
    not_quotable = frozenset({1, 2, 9, 10})
    units = _units(not_quotable=not_quotable)
    outcome = run(units)

    for group in outcome.groups:
        quotes = group.description.quote_ids
        assert 2 <= len(quotes) <= 4, group
        assert len(set(quotes)) == len(quotes)
        assert set(quotes) <= set(group.unit_ids) - not_quotable
    # Six parking texts, four of them quotable: all four are offered, no more.
    assert set(_group(outcome, IDS["parking"]).description.quote_ids) == {3, 4, 5, 6}
    assert set(_group(outcome, IDS["nights"]).description.quote_ids) == {7, 8}


def test_quotes_prefer_different_contributors() -> None:
    # Three parking texts come from one person; the quotes should still show four voices.
    units = _units(contributor={1: "anna", 5: "anna", 6: "anna"})
    quotes = _group(run(units), IDS["parking"]).description.quote_ids

    assert len(quotes) == 4
    assert len({u.contributor for u in units if u.id in quotes}) == 4


def test_quotes_prefer_different_sectors() -> None:
    units = _units(sector={1: "ziekenhuis", 5: "ziekenhuis", 6: "ziekenhuis", 2: "vvt"})
    quotes = _group(run(units), IDS["parking"]).description.quote_ids

    assert len(quotes) == 4
    assert len({u.sector for u in units if u.id in quotes}) == 4


def test_with_too_few_new_voices_quotes_fill_up_from_the_same_people() -> None:
    # Everyone in the parking group is the same person: still four quotes, not one.
    units = _units(contributor=dict.fromkeys(IDS["parking"], "anna"))
    quotes = _group(run(units), IDS["parking"]).description.quote_ids

    assert len(quotes) == 4
    assert set(quotes) <= IDS["parking"]


# --- anchors: blocks staff already have, and seeds --------------------------------------------

PARKING_ANCHOR = {"block:1": [1, 2]}
# About night shifts, with one word ("ziekenhuis") that the parking texts use too.
NIGHTS_IN_HOSPITAL_ID = 50
NIGHTS_IN_HOSPITAL = (
    "In het ziekenhuis draait een verpleegkundige te veel nachtdiensten, zegt het rooster."
)


def test_texts_on_an_anchored_topic_join_the_anchor_and_other_topics_form_new_groups() -> None:
    outcome = run(_units(), PARKING_ANCHOR)

    assert dict(outcome.joined) == dict.fromkeys(IDS["parking"] - {1, 2}, "block:1")
    assert _group_sets(outcome) == {IDS["nights"], IDS["internships"]}
    assert outcome.unassigned == (STRAY_ID,)


def test_anchored_units_are_never_placed_again() -> None:
    anchors = {"block:1": [1, 2], "block:2": [7, 8]}
    outcome = run(_units(), anchors)

    elsewhere = (
        set(outcome.joined)
        | {i for g in outcome.groups for i in g.unit_ids}
        | set(outcome.unassigned)
    )
    assert elsewhere.isdisjoint({1, 2, 7, 8})
    # Each topic goes to its own anchor, not just to whichever anchor exists.
    assert dict(outcome.joined) == {
        **dict.fromkeys(IDS["parking"] - {1, 2}, "block:1"),
        **dict.fromkeys(IDS["nights"] - {7, 8}, "block:2"),
    }
    assert _group_sets(outcome) == {IDS["internships"]}


def test_an_anchor_gets_a_description_from_its_members_and_joiners() -> None:
    units = _units()
    outcome = run(units, PARKING_ANCHOR)

    assert set(outcome.described_anchors) == {"block:1"}
    description = outcome.described_anchors["block:1"]
    assert {"parkeren", "ziekenhuis"} <= set(description.key_terms)
    assert {"parkeren", "parkeergarage", "ziekenhuis"} & set(description.title.lower().split())
    parking_sentences = {s for i in IDS["parking"] for s in sentences(_text(units, i))}
    assert description.summary in parking_sentences
    assert 2 <= len(description.quote_ids) <= 4
    assert set(description.quote_ids) <= IDS["parking"]


def test_an_anchor_of_unquotable_units_is_described_without_quoting_them() -> None:
    units = _units(not_quotable=frozenset({1, 2}))
    description = run(units, PARKING_ANCHOR).described_anchors["block:1"]

    assert set(description.quote_ids).isdisjoint({1, 2})
    for i in (1, 2):
        assert description.summary not in _text(units, i)


def test_a_text_about_something_else_does_not_join_an_anchor() -> None:
    units = [*_units(), Unit(NIGHTS_IN_HOSPITAL_ID, NIGHTS_IN_HOSPITAL)]
    outcome = run(units, PARKING_ANCHOR)

    assert NIGHTS_IN_HOSPITAL_ID not in outcome.joined
    assert STRAY_ID not in outcome.joined
    # It shares a word with the parking anchor, but it belongs with the night shifts.
    assert IDS["nights"] | {NIGHTS_IN_HOSPITAL_ID} in _group_sets(outcome)
