"""Grouping contributions into building blocks: topics come out as groups, nothing is lost,
and nothing that may not be quoted is quoted."""

from __future__ import annotations

import random

from consult.synthesis.grouping import Grouping, Item, group_items
from consult.synthesis.text import sentences, terms, words

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

TOPICS = {"parking": PARKING, "nights": NIGHTS, "internships": INTERNSHIPS}
STRAY_ID = 99


def _items(not_quotable: frozenset[int] = frozenset()) -> list[Item]:
    items: list[Item] = []
    for texts in TOPICS.values():
        for text in texts:
            item_id = len(items) + 1
            items.append(Item(item_id, text, "nl", quotable=item_id not in not_quotable))
    items.append(Item(STRAY_ID, STRAY, "nl"))
    return items


def _topic_of() -> dict[int, str]:
    topic_of: dict[int, str] = {}
    for topic, texts in TOPICS.items():
        for _text in texts:
            topic_of[len(topic_of) + 1] = topic
    return topic_of


def _group_of_topic(grouping: Grouping, topic: str) -> tuple[int, ...]:
    topic_of = _topic_of()
    return next(g.item_ids for g in grouping.groups if topic_of[g.item_ids[0]] == topic)


def test_each_topic_comes_out_as_one_group_and_the_stray_text_is_unassigned() -> None:
    grouping = group_items(_items())
    topic_of = _topic_of()

    assert len(grouping.groups) == 3
    for group in grouping.groups:
        assert len({topic_of[i] for i in group.item_ids}) == 1, group
        assert len(group.item_ids) == 4
    assert grouping.unassigned == (STRAY_ID,)


def test_no_item_is_lost_or_counted_twice() -> None:
    items = _items()
    grouping = group_items(items)

    seen = [i for g in grouping.groups for i in g.item_ids] + list(grouping.unassigned)
    assert sorted(seen) == sorted(item.id for item in items)


def test_the_order_items_arrive_in_does_not_change_the_groups() -> None:
    items = _items()
    shuffled = list(items)
    random.Random(3).shuffle(shuffled)

    def as_sets(grouping: Grouping) -> set[frozenset[int]]:
        return {frozenset(g.item_ids) for g in grouping.groups}

    assert as_sets(group_items(items)) == as_sets(group_items(shuffled))


def test_key_terms_are_words_people_wrote_not_stems() -> None:
    grouping = group_items(_items())
    texts = {item.id: item.text for item in _items()}

    for group in grouping.groups:
        written = {w for i in group.item_ids for w in words(texts[i])}
        assert group.key_terms, group
        for term in group.key_terms:
            assert term in written, (term, group)
        # The title is made of the first key terms.
        assert group.title.lower() == ", ".join(group.key_terms[:3]).lower()

    internships = next(g for g in grouping.groups if "stage" in g.key_terms)
    # The stem would be "stageplaats", which nobody wrote.
    assert "stageplaatsen" in internships.key_terms
    assert "stageplaats" not in internships.key_terms
    parking = next(g for g in grouping.groups if "parkeren" in g.key_terms)
    assert "ziekenhuis" in parking.key_terms


def test_the_summary_is_a_sentence_from_a_member_of_the_group() -> None:
    items = _items()
    grouping = group_items(items)

    for group in grouping.groups:
        member_sentences = {s for i in group.item_ids for s in sentences(items[i - 1].text)}
        assert group.summary in member_sentences, group


def test_text_that_may_not_be_quoted_never_becomes_the_summary() -> None:
    first = group_items(_items())
    parking = set(_group_of_topic(first, "parking"))
    chosen = next(g.summary for g in first.groups if set(g.item_ids) == parking)
    # Forbid quoting the item the summary came from (and one more for good measure).
    source = next(i for i in parking if chosen in PARKING[i - 1])
    forbidden = frozenset({source, min(parking - {source})})

    items = _items(not_quotable=forbidden)
    grouping = group_items(items)
    group = next(g for g in grouping.groups if set(g.item_ids) == parking)

    allowed = {s for i in parking - forbidden for s in sentences(items[i - 1].text)}
    assert group.summary in allowed
    for i in forbidden:
        assert group.summary not in items[i - 1].text


def test_a_group_of_only_unquotable_items_has_no_summary_but_still_forms() -> None:
    nights = frozenset(range(5, 9))
    items = _items(not_quotable=nights)
    grouping = group_items(items)

    group = next(g for g in grouping.groups if set(g.item_ids) == nights)
    assert group.summary == ""
    assert "nachtdiensten" in group.key_terms


def test_nothing_to_group() -> None:
    assert group_items([]) == Grouping((), ())
    assert group_items([Item(5, STRAY, "nl")]) == Grouping((), (5,))


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
