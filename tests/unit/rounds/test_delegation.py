"""Reading the delegation form: a colleague's name, email address, organisation, its sector
and the language of their invitation."""

from __future__ import annotations

import pytest

from consult.rounds.delegation import Colleague, parse_colleague

SECTORS = ("vvt", "ggz", "mbo")


def test_a_valid_colleague_is_normalised() -> None:
    colleague, errors = parse_colleague(
        "  Els Visser ", " Els.Visser@Example.ORG ", " Zorg BV ", "en", "ggz", SECTORS
    )
    assert errors == {}
    assert colleague == Colleague("Els Visser", "els.visser@example.org", "Zorg BV", "en", "ggz")


def test_every_bad_field_is_reported() -> None:
    colleague, errors = parse_colleague("", "geen adres", "x" * 201, "", "", SECTORS)
    assert colleague is None
    assert errors == {
        "name": "required",
        "email": "bad_email",
        "organisation": "too_long",
        "language": "required",
        "sector": "required",
    }
    _, errors = parse_colleague("Els", "", "Org", "de", "ziekenhuisje", SECTORS)
    assert errors == {"email": "required", "language": "required", "sector": "unknown_sector"}


@pytest.mark.parametrize(
    "name",
    [
        "Win a prize at http://evil.example/0",
        "Win a prize at evil.example/0",
        "Bezoek www.prijs.nl",
        "Kijk op prijzen.nl vandaag",
        "info@prijzen.example",
        "<a href=x>Els</a>",
        "Els > Jan",
        "Els\nVisser",
        "Els\u202eressiV",  # a right-to-left override turns the rest round
    ],
)
def test_a_name_with_a_web_address_markup_or_control_characters_is_refused(name: str) -> None:
    colleague, errors = parse_colleague(name, "els@zorg.example", name, "nl", "vvt", SECTORS)
    assert colleague is None
    assert errors == {"name": "not_a_name", "organisation": "not_a_name"}


@pytest.mark.parametrize(
    "name", ["J.P. de Vries-Ünal", "Anne-Marie 't Hart", "dr. Jansen", "St.Jan Zorg & Welzijn"]
)
def test_ordinary_names_pass(name: str) -> None:
    colleague, errors = parse_colleague(name, "a@zorg.example", name, "nl", "vvt", SECTORS)
    assert errors == {}
    assert colleague is not None and colleague.name == name
