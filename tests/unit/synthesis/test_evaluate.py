"""Scoring the pipeline against people's grouping: scores on hand-computed cases, a labelled
file read with clear messages, and a small evaluation run end to end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from consult.synthesis.evaluate import (
    Evaluation,
    GoldBlock,
    Labelled,
    LabelledFileError,
    Scores,
    as_json,
    evaluate,
    move_share,
    purity,
    read_blocks,
    read_labelled,
    score,
    top_k,
)

# --- scores ---------------------------------------------------------------------------------


def test_the_same_grouping_under_other_names_is_perfect() -> None:
    s = score(["a", "a", "b", "b"], ["x", "x", "y", "y"], assigned=4, seconds=0.5)

    assert s.ari == pytest.approx(1.0)
    assert s.nmi == pytest.approx(1.0)
    assert s.v_measure == pytest.approx(1.0)
    assert s.purity == pytest.approx(1.0)
    assert s.assigned_share == pytest.approx(1.0)
    assert s.scored == 4
    assert s.seconds == 0.5


def test_all_singletons_are_pure_but_agree_no_better_than_chance() -> None:
    s = score(["a", "a", "b", "b"], ["1", "2", "3", "4"], assigned=0, seconds=0.0)

    assert s.purity == pytest.approx(1.0)
    # No pair is put together, so no pair people put together is found: ARI 0.
    assert s.ari == pytest.approx(0.0)
    # Homogeneity 1, completeness 1 - H(pred|gold)/H(pred) = 1 - ln2/ln4 = 1/2: V = 2/3.
    assert s.v_measure == pytest.approx(2 / 3)
    # I(gold; pred) = ln 2, mean entropy (ln 2 + ln 4) / 2: NMI = 2/3.
    assert s.nmi == pytest.approx(2 / 3)
    assert s.assigned_share == 0.0


def test_one_big_group_is_half_pure_and_says_nothing() -> None:
    s = score(["a", "a", "b", "b"], ["x", "x", "x", "x"], assigned=4, seconds=0.0)

    assert s.purity == pytest.approx(0.5)
    assert s.ari == pytest.approx(0.0)
    assert s.nmi == pytest.approx(0.0)
    assert s.v_measure == pytest.approx(0.0)


def test_a_partly_right_grouping() -> None:
    gold = ["a", "a", "a", "b", "b", "b"]
    predicted = ["x", "x", "y", "y", "z", "z"]
    s = score(gold, predicted, assigned=3, seconds=0.0)

    # Majorities: x 2 of 2, y 1 of 2, z 2 of 2.
    assert s.purity == pytest.approx(5 / 6)
    # Pairs together in both: (x: a,a) and (z: b,b) = 2. Expected by chance:
    # (3 + 3) * (1 + 1 + 1) / 15 = 1.2; maximum (6 + 3) / 2 = 4.5. ARI = 0.8 / 3.3.
    assert s.ari == pytest.approx(0.8 / 3.3)
    assert s.assigned_share == pytest.approx(0.5)
    assert s.scored == 6


def test_purity_counts_the_majority_of_each_predicted_group() -> None:
    assert purity(["a", "b", "b", "c", "c", "c"], ["p", "p", "p", "q", "q", "r"]) == (
        pytest.approx((2 + 2 + 1) / 6)
    )
    assert purity(["a"], ["p"]) == 1.0


# --- reading a labelled file ----------------------------------------------------------------


def _record(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "c1",
        "theme": "arbeidsvoorwaarden",
        "kind": "knelpunt",
        "text": "Kinderopvang sluit te vroeg voor wie avonddienst heeft.",
        "language": "nl",
        "sector": "vvt",
        "region": "Utrecht",
        "quote_permission": "quotable",
        "gold_block": "kinderopvang",
    }
    base.update(fields)
    return base


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_read_labelled_reads_every_field(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "labelled.jsonl",
        [
            json.dumps(_record()),
            "",
            json.dumps(
                _record(
                    id=7,
                    text="Childcare closes too early.",
                    language="en",
                    quote_permission="not_quotable",
                )
            ),
        ],
    )

    rows = read_labelled(path)

    assert rows == [
        Labelled(
            id="c1",
            theme="arbeidsvoorwaarden",
            text="Kinderopvang sluit te vroeg voor wie avonddienst heeft.",
            language="nl",
            sector="vvt",
            region="Utrecht",
            quotable=True,
            gold="kinderopvang",
        ),
        Labelled(
            id="7",
            theme="arbeidsvoorwaarden",
            text="Childcare closes too early.",
            language="en",
            sector="vvt",
            region="Utrecht",
            quotable=False,
            gold="kinderopvang",
        ),
    ]


def test_read_labelled_accepts_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "labelled.jsonl"
    path.write_text(json.dumps(_record()) + "\n", encoding="utf-8-sig")

    assert [r.id for r in read_labelled(path)] == ["c1"]


def test_an_id_or_block_of_zero_is_a_value_not_a_missing_field(tmp_path: Path) -> None:
    path = _write(tmp_path / "labelled.jsonl", [json.dumps(_record(id=0, gold_block=0))])

    ((row,),) = [read_labelled(path)]
    assert (row.id, row.gold) == ("0", "0")


def test_bad_json_and_missing_fields_are_reported_with_their_line_numbers(
    tmp_path: Path,
) -> None:
    path = _write(
        tmp_path / "labelled.jsonl",
        [
            json.dumps(_record()),
            '{"id": "c2", "theme": "arbeidsvoorwaarden", ',
            json.dumps({k: v for k, v in _record().items() if k not in ("text", "gold_block")}),
            json.dumps(_record(theme="")),
            "[1, 2, 3]",
        ],
    )

    with pytest.raises(LabelledFileError) as caught:
        read_labelled(path)

    message = str(caught.value)
    assert str(path) in message
    assert "regel 1" not in message
    assert "regel 2: geen geldige JSON" in message
    assert "regel 3: ontbreekt text, gold_block" in message
    assert "regel 4: ontbreekt theme" in message
    assert "regel 5: ontbreekt id, theme, text, gold_block" in message


def test_a_file_without_contributions_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "labelled.jsonl", ["", "   "])

    with pytest.raises(LabelledFileError, match="geen bijdragen"):
        read_labelled(path)


# --- a small evaluation ---------------------------------------------------------------------

# Our own texts: two themes, three topics of five texts each.
TOPICS = {
    ("arbeidsvoorwaarden", "kinderopvang"): (
        "De kinderopvang sluit om zes uur, te vroeg voor ouders met een avonddienst.",
        "Zonder kinderopvang in het weekend kunnen jonge ouders geen weekenddiensten draaien.",
        "Een kinderopvang naast het verpleeghuis zou jonge ouders in de zorg houden.",
        "Ouders in de zorg betalen veel voor kinderopvang, terwijl hun diensten onregelmatig zijn.",
        "Flexibele kinderopvang die meebeweegt met diensten helpt ouders in de zorg enorm.",
    ),
    ("arbeidsvoorwaarden", "reiskosten"): (
        "De reiskostenvergoeding dekt de benzine niet meer voor wie ver van de instelling woont.",
        "Medewerkers op het platteland rijden ver en krijgen te weinig reiskosten vergoed.",
        "Vergoed de reiskosten volledig, ook voor wie met de auto naar de instelling rijdt.",
        "Hogere reiskosten door de benzineprijs maken werken ver van huis onaantrekkelijk.",
        "Een vergoeding per kilometer die de echte reiskosten dekt, houdt medewerkers binnen.",
    ),
    ("opleiding", "bijscholing"): (
        "Verpleegkundigen krijgen geen tijd voor bijscholing tijdens hun werkuren.",
        "Bijscholing in wondzorg moet binnen werktijd vallen en betaald worden.",
        "Een budget voor bijscholing per verpleegkundige maakt leren vanzelfsprekend.",
        "E-learning voor bijscholing past beter bij verpleegkundigen dan lange cursusdagen.",
        "Teams plannen de bijscholing samen, zodat verpleegkundigen echt tijd krijgen.",
    ),
}


def _labelled() -> list[Labelled]:
    rows: list[Labelled] = []
    for (theme, block), texts in TOPICS.items():
        for text in texts:
            rows.append(
                Labelled(
                    id=f"c{len(rows) + 1}",
                    theme=theme,
                    text=text,
                    language="nl",
                    sector=["vvt", "ghz", "ziekenhuis"][len(rows) % 3],
                    region="",
                    quotable=True,
                    gold=block,
                )
            )
    return rows


def _check_ranges(s: Scores) -> None:
    assert -1.0 <= s.ari <= 1.0
    for value in (s.nmi, s.v_measure, s.purity, s.assigned_share):
        assert 0.0 <= value <= 1.0
    assert s.seconds >= 0.0


def test_evaluate_scores_each_theme_and_all_together() -> None:
    results = evaluate(_labelled())

    assert set(results.themes) == {"arbeidsvoorwaarden", "opleiding"}
    for s in [*results.themes.values(), results.overall]:
        _check_ranges(s)
    assert results.themes["arbeidsvoorwaarden"].scored == 10
    assert results.themes["opleiding"].scored == 5
    assert results.overall.scored == 15


def test_with_seeds_only_the_contributions_not_given_away_are_scored() -> None:
    results = evaluate(_labelled(), seeds=2)

    for s in [*results.themes.values(), results.overall]:
        _check_ranges(s)
    # Two of the five in each block are placed as staff would; the other three are scored.
    assert results.themes["arbeidsvoorwaarden"].scored == 6
    assert results.themes["opleiding"].scored == 3
    assert results.overall.scored == 9


def test_clearly_separate_topics_score_perfectly() -> None:
    overall = evaluate(_labelled()).overall

    assert overall.assigned_share == pytest.approx(1.0)
    assert overall.purity == pytest.approx(1.0)
    assert overall.ari == pytest.approx(1.0)


def test_with_seeds_no_contribution_joins_the_seeds_of_another_topic() -> None:
    results = evaluate(_labelled(), seeds=2)

    assert results.overall.purity == pytest.approx(1.0)
    assert results.themes["arbeidsvoorwaarden"].assigned_share > 0


def test_the_same_seed_gives_the_same_scores() -> None:
    def without_time(results: Evaluation) -> dict[str, tuple[float, ...]]:
        return {
            k: (s.ari, s.nmi, s.v_measure, s.purity, s.assigned_share, s.scored)
            for k, s in [*results.themes.items(), ("overall", results.overall)]
        }

    first = evaluate(_labelled(), seeds=2, seed=4)
    again = evaluate(_labelled(), seeds=2, seed=4)
    assert without_time(first) == without_time(again)


def test_as_json_leads_with_the_mean_per_theme_ari_and_says_what_ran() -> None:
    results = evaluate(_labelled())

    data = json.loads(as_json(results))

    themes = results.themes
    mean = (themes["arbeidsvoorwaarden"].ari + themes["opleiding"].ari) / 2
    assert data["mean_theme_ari"] == round(mean, 4)
    assert data["overall_ari"] == round(results.overall.ari, 4)
    assert data["method"] == "tfidf"  # no embedder given
    # Without seeds or descriptions the pipeline knows no blocks to suggest.
    assert data["top1"] is None and data["top3"] is None
    assert set(data["themes"]) == {"arbeidsvoorwaarden", "opleiding"}
    assert data["themes"]["opleiding"]["purity"] == round(themes["opleiding"].purity, 4)


def test_staff_would_move_what_is_not_in_its_best_matched_group() -> None:
    # Group x matches a (2 stay), y matches b (1 stays); one b sits in x, one is unplaced.
    gold = ["a", "a", "b", "b", "b"]
    placed = ["x", "x", "x", "y", None]

    assert move_share(gold, placed) == pytest.approx(2 / 5)
    assert move_share(gold, gold) == 0.0


def test_top_k_counts_the_own_block_among_the_first_k_suggestions() -> None:
    gold = ["a", "b", "c"]
    ranked = [["a", "b"], ["a", "b"], ["a", "b", "c"]]

    assert top_k(gold, ranked, 1) == pytest.approx(1 / 3)
    assert top_k(gold, ranked, 3) == pytest.approx(1.0)


DESCRIBED = [
    GoldBlock(
        "kinderopvang",
        "arbeidsvoorwaarden",
        "Kinderopvang",
        "Opvang voor kinderen van ouders die onregelmatige diensten draaien.",
    ),
    GoldBlock(
        "reiskosten",
        "arbeidsvoorwaarden",
        "Reiskosten",
        "Vergoeding van de kosten van woon-werkverkeer met auto of benzine.",
    ),
    GoldBlock(
        "bijscholing",
        "opleiding",
        "Bijscholing",
        "Tijd en geld voor verpleegkundigen om bij te leren.",
    ),
]


def test_with_descriptions_every_contribution_goes_to_its_described_block() -> None:
    results = evaluate(_labelled(), blocks=DESCRIBED)

    assert results.overall.ari == pytest.approx(1.0)
    assert results.overall.top1 == pytest.approx(1.0)
    assert results.overall.move_share == 0.0
    assert results.described


def test_read_blocks_needs_an_id_theme_and_description(tmp_path: Path) -> None:
    good = tmp_path / "blocks.json"
    good.write_text(json.dumps([{"id": "B1", "theme": "t", "title": "T", "description": "D"}]))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"id": "B1", "theme": "t", "title": "T"}]))

    assert read_blocks(good) == [GoldBlock("B1", "t", "T", "D")]
    with pytest.raises(LabelledFileError, match="bouwsteen 1"):
        read_blocks(bad)


def test_a_theme_with_nothing_left_after_seeding_scores_zero_rows() -> None:
    scores = score([], [], 0, 0.1)
    assert scores.scored == 0 and scores.assigned_share == 0.0
