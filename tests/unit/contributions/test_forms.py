"""The input form's pure parts: which fields each phase asks, and reading what was typed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from consult.contributions.forms import (
    MAX_TEXT,
    Phase,
    form_fields,
    normalise_text,
    parse_answers,
    phase_at,
)
from models import ConsultationSession, ContributionKind, QuotePermission, Theme

THEME = Theme(
    slug="innovatie",
    title_nl="Innovatie",
    title_en="Innovation",
    questions_nl=["Vraag een?", "Vraag twee?"],
    questions_en=["Question one?", "Question two?"],
)
START = datetime(2030, 3, 10, 9, tzinfo=UTC)


def test_before_the_session_the_guiding_questions_in_the_readers_language() -> None:
    fields = form_fields(THEME, Phase.BEFORE, "en")
    assert [(f.key, f.question) for f in fields] == [
        ("q1", "Question one?"),
        ("q2", "Question two?"),
    ]
    assert {f.kind for f in fields} == {ContributionKind.PRE_SESSION_ANSWER}


def test_after_the_session_lessons_and_proposals() -> None:
    fields = form_fields(THEME, Phase.AFTER, "nl")
    assert [(f.key, f.kind) for f in fields] == [
        ("lessons", ContributionKind.LESSON_LEARNED),
        ("proposals", ContributionKind.PROPOSAL),
    ]


def test_the_phase_turns_when_the_session_ends() -> None:
    cs = ConsultationSession(start=START, end=START + timedelta(minutes=90))
    assert phase_at(cs, START) is Phase.BEFORE
    assert phase_at(cs, cs.end - timedelta(seconds=1)) is Phase.BEFORE
    assert phase_at(cs, cs.end) is Phase.AFTER


def test_line_breaks_are_stored_as_the_browser_counted_them() -> None:
    assert normalise_text("  a\r\nb\rc\n  ") == "a\nb\nc"


def test_parse_answers_checks_length_and_permission() -> None:
    fields = form_fields(THEME, Phase.BEFORE, "nl")
    answers, errors = parse_answers(
        fields,
        {
            "text-q1": "x" * MAX_TEXT,
            "permission-q1": "not_quotable",
            "text-q2": "y" * (MAX_TEXT + 1),
            "permission-q2": "role_only",
        },
    )
    assert errors == {"text-q2": "too_long"}
    assert answers[0].permission == QuotePermission.NOT_QUOTABLE
    _, errors = parse_answers(fields, {"text-q1": "tekst", "permission-q1": "public"})
    assert errors == {"permission-q1": "bad_permission"}
    # An empty answer needs no permission: it is not stored.
    answers, errors = parse_answers(fields, {"text-q1": "   "})
    assert errors == {}
    assert [a.text for a in answers] == ["", ""]
