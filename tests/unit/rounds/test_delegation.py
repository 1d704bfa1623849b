"""Reading the delegation form: a colleague's name, email address and organisation."""

from __future__ import annotations

from consult.rounds.delegation import Colleague, parse_colleague


def test_a_valid_colleague_is_normalised() -> None:
    colleague, errors = parse_colleague("  Els Visser ", " Els.Visser@Example.ORG ", " Zorg BV ")
    assert errors == {}
    assert colleague == Colleague("Els Visser", "els.visser@example.org", "Zorg BV")


def test_every_bad_field_is_reported() -> None:
    colleague, errors = parse_colleague("", "geen adres", "x" * 201)
    assert colleague is None
    assert errors == {"name": "required", "email": "bad_email", "organisation": "too_long"}
    _, errors = parse_colleague("Els", "", "Org")
    assert errors == {"email": "required"}
