"""The invitee pages' words from Python: every error a form can be refused with has a message
of its own in Dutch and English, and the language switch speaks the language it switches to."""

from __future__ import annotations

import pytest

from consult.contributions.forms import FormField, parse_answers
from consult.i18n import gettext
from consult.rounds.delegation import parse_colleague
from consult.web.context import language_switch
from consult.web.errors import INVALID, error_id, error_message
from models import ContributionKind

# Every (form field, error code) a route answers with: the routes' own, the services' AnswerError
# codes as the routes place them, and those of the form parsers (also found by running them below).
REFUSALS = [
    ("answer", "bad_answer"),
    ("answer", "deadline"),
    ("status", "delegated"),
    ("availability", "not_accepted"),
    ("availability", "unknown_slot"),
    ("ranking", "bad_ranking"),
    ("ranking", "unknown_theme"),
    ("delegation", "max_hops"),
    ("delegation", "too_many"),
    ("email", "self"),
    ("email", "already_invited"),
    ("name", "required"),
    ("name", "too_long"),
    ("name", "not_a_name"),
    ("organisation", "required"),
    ("email", "required"),
    ("email", "too_long"),
    ("email", "bad_email"),
    ("language", "required"),
    ("sector", "required"),
    ("sector", "unknown_sector"),
    ("text-q1", "too_long"),
    ("text-lessons", "cannot_clear"),
    ("text-q1", "nothing"),
    ("permission-q1", "bad_permission"),
    ("input-closed", "input_closed"),
]


def test_error_messages_prefer_the_field_specific_text() -> None:
    assert error_message("nl", "email", "required") == "Vul het e-mailadres van uw collega in."
    assert error_message("nl", "text-q3", "too_long") == (
        "Uw antwoord is langer dan 5.000 tekens. Maak het korter."
    )
    assert error_message("en", "name", "too_long") == "This is too long."
    assert error_message("en", "answer", "no-such-code") == "We cannot process this."
    # A language we do not speak reads Dutch.
    assert error_message("de", "answer", "deadline") == (
        "De termijn om te antwoorden is verstreken."
    )


@pytest.mark.parametrize(("field", "code"), REFUSALS)
def test_every_refusal_has_its_own_message_in_both_languages(field: str, code: str) -> None:
    assert error_id(field, code) != INVALID
    dutch, english = error_message("nl", field, code), error_message("en", field, code)
    assert english == error_id(field, code)
    assert dutch and dutch != english


QUESTION = FormField("q1", ContributionKind.PRE_SESSION_ANSWER, "Wat werkt?")


def test_the_form_parsers_refuse_only_with_known_codes() -> None:
    refused = [
        parse_colleague("", "", "", "", "", sectors={"vvt"})[1],
        parse_colleague("x" * 300, "x" * 300, "<b>", "de", "nope", sectors={"vvt"})[1],
        parse_colleague("Jan", "not an address", "https://x.nl", "nl", "vvt", sectors={"vvt"})[1],
        parse_answers([QUESTION], {"text-q1": "x" * 6000, "permission-q1": "ja"})[1],
        parse_answers([QUESTION], {"text-q1": "x", "permission-q1": "ja"})[1],
    ]
    pairs = {pair for errors in refused for pair in errors.items()}
    assert pairs <= set(REFUSALS) | {("organisation", "too_long"), ("organisation", "not_a_name")}
    for field, code in pairs:
        assert error_id(field, code) != INVALID, (field, code)


@pytest.mark.parametrize(
    ("page", "to", "label", "hint"),
    [
        ("nl", "en", "English", "Switch to English"),
        ("en", "nl", "Nederlands", "Schakel over naar Nederlands"),
    ],
)
def test_the_language_switch_speaks_the_language_it_switches_to(
    page: str, to: str, label: str, hint: str
) -> None:
    switch = language_switch(page)
    assert (switch.lang, switch.label, switch.hint) == (to, label, hint)
    # The same names in the delegation form are in the page's language.
    assert gettext("English", "nl") == "Engels"
    assert gettext("Dutch", "en") == "Dutch"
