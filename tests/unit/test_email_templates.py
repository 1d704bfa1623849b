"""Every email template in both languages, compared with reviewed snapshots.

To accept a deliberate template change, run
`UPDATE_SNAPSHOTS=1 uv run pytest tests/unit/test_email_templates.py`
then read the changed files under tests/unit/snapshots/ before committing them.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment, UndefinedError
from markupsafe import escape

from consult.settings import PROJECT_ROOT
from consult.templating import RenderedEmail, make_environment, render_email

SNAPSHOTS = Path(__file__).parent / "snapshots"
ANSWER_URL = "https://consult.example.org/a/tok-3f9a1c"
MEETING_URL = "https://meet.example.org/wiz/voorjaar-2025/innovatie-12-1"
INPUT_URL = "https://consult.example.org/i/tok-77be02"
RESET_URL = "https://consult.example.org/werkplek/wachtwoord/tok-5e21aa"
PAGE_URL = "https://consult.example.org/i/tok-c41d90"

CONTEXTS: dict[tuple[str, str], dict[str, Any]] = {
    ("invitation", "nl"): {
        "person_name": "Marieke ter Horst",
        "round_name": "Consultatieronde voorjaar 2025",
        "theme_title": "Innovatie",
        "questions": [
            "Welke innovatie bespaart in uw organisatie aantoonbaar tijd?",
            "Wat houdt opschaling tegen?",
        ],
        "answer_deadline": "vrijdag 14 februari 2025 om 17:00",
        "answer_url": ANSWER_URL,
        "choices": [],
        "organiser_name": "Secretariaat Commissie Werken in de Zorg",
        "delegated_by": None,
    },
    ("invitation", "en"): {
        "person_name": "Youssef El Amrani",
        "round_name": "Consultation round spring 2025",
        "theme_title": "Innovation",
        "questions": [
            "Which innovation demonstrably saves time in your organisation?",
            "What holds back scaling up?",
        ],
        "answer_deadline": "Friday 14 February 2025 at 17:00",
        "answer_url": ANSWER_URL,
        "choices": [],
        "organiser_name": "Secretariaat Commissie Werken in de Zorg",
        "delegated_by": None,
    },
    ("calendar_invite", "nl"): {
        "person_name": "Marieke ter Horst",
        "round_name": "Consultatieronde voorjaar 2025",
        "theme_title": "Innovatie",
        "session_when": "dinsdag 4 maart 2025, 10:00\u201311:30",
        "meeting_url": MEETING_URL,
        "input_url": INPUT_URL,
        "is_update": False,
        "organiser_name": "Secretariaat Commissie Werken in de Zorg",
    },
    ("calendar_invite", "en"): {
        "person_name": "Youssef El Amrani",
        "round_name": "Consultation round spring 2025",
        "theme_title": "Innovation",
        "session_when": "Tuesday 4 March 2025, 10:00\u201311:30",
        "meeting_url": MEETING_URL,
        "input_url": INPUT_URL,
        "is_update": False,
        "organiser_name": "Secretariaat Commissie Werken in de Zorg",
    },
    ("calendar_cancel", "nl"): {
        "person_name": "Marieke ter Horst",
        "round_name": "Consultatieronde voorjaar 2025",
        "theme_title": "Innovatie",
        "session_when": "dinsdag 4 maart 2025, 10:00\u201311:30",
        "session_cancelled": True,
        "organiser_name": "Secretariaat Commissie Werken in de Zorg",
    },
    ("calendar_cancel", "en"): {
        "person_name": "Youssef El Amrani",
        "round_name": "Consultation round spring 2025",
        "theme_title": "Innovation",
        "session_when": "Tuesday 4 March 2025, 10:00\u201311:30",
        "session_cancelled": False,
        "organiser_name": "Secretariaat Commissie Werken in de Zorg",
    },
    ("reminder", "nl"): {
        "person_name": "Marieke ter Horst",
        "round_name": "Consultatieronde voorjaar 2025",
        "theme_title": "Innovatie",
        "answer_deadline": "vrijdag 14 februari 2025 om 17:00",
        "answer_url": ANSWER_URL,
        "choices": [],
        "organiser_name": "Secretariaat Commissie Werken in de Zorg",
    },
    ("reminder", "en"): {
        "person_name": "Youssef El Amrani",
        "round_name": "Consultation round spring 2025",
        "theme_title": "Innovation",
        "answer_deadline": "Friday 14 February 2025 at 17:00",
        "answer_url": ANSWER_URL,
        "choices": [],
        "organiser_name": "Secretariaat Commissie Werken in de Zorg",
    },
    ("confirmation_answer", "nl"): {
        "person_name": "Marieke ter Horst",
        "round_name": "Consultatieronde voorjaar 2025",
        "theme_title": "Innovatie",
        "answer_deadline": "vrijdag 14 februari 2025 om 17:00",
        "page_url": PAGE_URL,
        "choices": [],
        "organiser_name": "Secretariaat Commissie Werken in de Zorg",
    },
    ("confirmation_answer", "en"): {
        "person_name": "Youssef El Amrani",
        "round_name": "Consultation round spring 2025",
        "theme_title": "Innovation",
        "answer_deadline": "Friday 14 February 2025 at 17:00",
        "page_url": PAGE_URL,
        "choices": [],
        "organiser_name": "Secretariaat Commissie Werken in de Zorg",
    },
    ("confirmation_input", "nl"): {
        "person_name": "Marieke ter Horst",
        "round_name": "Consultatieronde voorjaar 2025",
        "theme_title": "Innovatie",
        "answers": [
            "Welke innovatie bespaart in uw organisatie aantoonbaar tijd?",
            "Wat houdt opschaling tegen?",
        ],
        "input_deadline": "woensdag 30 april 2025 om 23:59",
        "input_url": INPUT_URL,
        "organiser_name": "Secretariaat Commissie Werken in de Zorg",
    },
    ("confirmation_input", "en"): {
        "person_name": "Youssef El Amrani",
        "round_name": "Consultation round spring 2025",
        "theme_title": "Innovation",
        "answers": ["Lessons learned", "Proposals"],
        "input_deadline": "Wednesday 30 April 2025 at 23:59",
        "input_url": INPUT_URL,
        "organiser_name": "Secretariaat Commissie Werken in de Zorg",
    },
    ("lessons_request", "nl"): {
        "person_name": "Marieke ter Horst",
        "round_name": "Consultatieronde voorjaar 2025",
        "theme_title": "Innovatie",
        "session_when": "dinsdag 4 maart 2025, 10:00\u201311:30",
        "input_deadline": "woensdag 30 april 2025 om 23:59",
        "input_url": INPUT_URL,
        "organiser_name": "Secretariaat Commissie Werken in de Zorg",
    },
    ("lessons_request", "en"): {
        "person_name": "Youssef El Amrani",
        "round_name": "Consultation round spring 2025",
        "theme_title": "Innovation",
        "session_when": "Tuesday 4 March 2025, 10:00\u201311:30",
        "input_deadline": "Wednesday 30 April 2025 at 23:59",
        "input_url": INPUT_URL,
        "organiser_name": "Secretariaat Commissie Werken in de Zorg",
    },
    ("input_reminder", "nl"): {
        "person_name": "Marieke ter Horst",
        "round_name": "Consultatieronde voorjaar 2025",
        "theme_title": "Innovatie",
        "input_deadline": "woensdag 30 april 2025 om 23:59",
        "input_url": INPUT_URL,
        "organiser_name": "Secretariaat Commissie Werken in de Zorg",
    },
    ("input_reminder", "en"): {
        "person_name": "Youssef El Amrani",
        "round_name": "Consultation round spring 2025",
        "theme_title": "Innovation",
        "input_deadline": "Wednesday 30 April 2025 at 23:59",
        "input_url": INPUT_URL,
        "organiser_name": "Secretariaat Commissie Werken in de Zorg",
    },
    ("password_reset", "nl"): {
        "person_name": "Fatima Bouzid",
        "reset_url": RESET_URL,
        "valid_minutes": 60,
        "organiser_name": "Secretariaat Commissie Werken in de Zorg",
    },
    ("password_reset", "en"): {
        "person_name": "Fatima Bouzid",
        "reset_url": RESET_URL,
        "valid_minutes": 60,
        "organiser_name": "Secretariaat Commissie Werken in de Zorg",
    },
}
CASES = sorted(CONTEXTS)
# A round with several themes: the invitee puts them in order on their page.
CHOICES = {
    "nl": [
        {"title": "Innovatie", "questions": ["Wat houdt opschaling tegen?"]},
        {
            "title": "Onderwijsvernieuwing",
            "questions": ["Waar lopen onderwijs en praktijk nog langs elkaar heen?"],
        },
        {"title": "Anders besturen", "questions": ["Welke vorm van regionale samenwerking werkt?"]},
    ],
    "en": [
        {"title": "Innovation", "questions": ["What holds back scaling up?"]},
        {
            "title": "Renewing education",
            "questions": ["Where do education and practice still miss each other?"],
        },
        {
            "title": "Governing differently",
            "questions": ["Which form of regional cooperation works?"],
        },
    ],
}
# The mails to invitees, whose subject names the theme; not the workplace's own mail.
ROUND_CASES = [case for case in CASES if case[0] != "password_reset"]


EMAIL_TEMPLATES = PROJECT_ROOT / "templates" / "email"


def test_every_email_template_has_a_snapshot_case_in_each_language() -> None:
    kinds = {path.stem for path in EMAIL_TEMPLATES.glob("*.txt")}
    assert {(kind, lang) for kind in kinds for lang in ("nl", "en")} == set(CONTEXTS)
    assert {path.stem for path in EMAIL_TEMPLATES.glob("[!_]*.html")} == kinds


def test_an_email_s_words_live_in_the_catalog_not_in_a_template_per_language() -> None:
    # One template per kind and part; Dutch and English come from the `mail` catalog, so a
    # wording change is made once for both parts and cannot drift between the languages.
    per_language = sorted(
        path.name for lang in ("nl", "en") for path in EMAIL_TEMPLATES.glob(f"*.{lang}.*")
    )
    assert per_language == []


@pytest.fixture(scope="module")
def env() -> Environment:
    return make_environment(PROJECT_ROOT / "templates")


def assert_snapshot(name: str, actual: str) -> None:
    """Compare with tests/unit/snapshots/<name>; UPDATE_SNAPSHOTS=1 (re)writes it instead."""
    path = SNAPSHOTS / name
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual.encode("utf-8"))
        return
    if not path.exists():
        pytest.fail(f"no snapshot {path}; run with UPDATE_SNAPSHOTS=1 and review the file")
    expected = path.read_bytes().decode("utf-8")
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                fromfile=f"snapshots/{name}",
                tofile="rendered",
            )
        )
        pytest.fail(f"{name} differs from its snapshot:\n{diff}", pytrace=False)


def _render(env: Environment, name: str, lang: str, **changes: Any) -> RenderedEmail:
    return render_email(env, name, lang, {**CONTEXTS[(name, lang)], **changes})


@pytest.mark.parametrize(("name", "lang"), CASES)
def test_email_matches_snapshot(env: Environment, name: str, lang: str) -> None:
    rendered = _render(env, name, lang)
    assert_snapshot(f"{name}.{lang}.subject.txt", rendered.subject + "\n")
    assert_snapshot(f"{name}.{lang}.txt", rendered.text)
    assert_snapshot(f"{name}.{lang}.html", rendered.html)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_a_colleague_s_invitation_says_who_passed_it_on(env: Environment, lang: str) -> None:
    rendered = _render(env, "invitation", lang, delegated_by="Jan <b>de Boer</b> (Zorg & Co)")
    assert_snapshot(f"invitation.{lang}.delegated.txt", rendered.text)
    assert_snapshot(f"invitation.{lang}.delegated.html", rendered.html)
    said = "heeft deze uitnodiging aan u doorgegeven" if lang == "nl" else "has passed this"
    assert said in rendered.text.splitlines()[2]
    assert "Jan &lt;b&gt;de Boer&lt;/b&gt; (Zorg &amp; Co)" in rendered.html


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("name", ["invitation", "reminder", "confirmation_answer"])
def test_an_invitee_who_ranks_themes_is_told_so_not_given_one_theme(
    env: Environment, name: str, lang: str
) -> None:
    # The page asks them to put the round's themes in order, so the email must say that
    # rather than name one theme as if it were the one they are invited to.
    rendered = _render(env, name, lang, choices=CHOICES[lang])
    assert_snapshot(f"{name}.{lang}.ranking.subject.txt", rendered.subject + "\n")
    assert_snapshot(f"{name}.{lang}.ranking.txt", rendered.text)
    assert_snapshot(f"{name}.{lang}.ranking.html", rendered.html)
    first = CHOICES[lang][0]["title"]
    assert first not in rendered.subject
    choice = "naar keuze" if lang == "nl" else "of your choice"
    single = ("over het thema" if lang == "nl" else "on the theme") + f' "{first}"'
    assert single not in rendered.text
    if name == "invitation":
        assert choice in rendered.subject
        for theme in CHOICES[lang]:
            assert f"\n{theme['title']}\n- {theme['questions'][0]}\n" in rendered.text
            assert f"<strong>{escape(theme['title'])}</strong>" in rendered.html
        ranked = "volgorde van voorkeur" if lang == "nl" else "order of preference"
        assert ranked in rendered.text


@pytest.mark.parametrize(("name", "lang"), ROUND_CASES)
def test_subject_is_one_line_and_the_body_does_not_repeat_it(
    env: Environment, name: str, lang: str
) -> None:
    # A title with a line break (pasted from a document) must not break the Subject header.
    rendered = _render(env, name, lang, theme_title="Behoud &\nbetrokkenheid")
    assert "\n" not in rendered.subject
    assert "\r" not in rendered.subject
    assert "Behoud & betrokkenheid" in rendered.subject
    # The text body opens with the greeting, not with the subject.
    greeting = "Beste" if lang == "nl" else "Dear"
    person = CONTEXTS[(name, lang)]["person_name"]
    assert rendered.text.splitlines()[0] == f"{greeting} {person},"


@pytest.mark.parametrize(("name", "lang"), CASES)
def test_links_are_in_both_parts(env: Environment, name: str, lang: str) -> None:
    rendered = _render(env, name, lang)
    links = {
        "invitation": [ANSWER_URL],
        "reminder": [ANSWER_URL],
        "calendar_invite": [MEETING_URL, INPUT_URL],
        "calendar_cancel": [],
        "confirmation_answer": [PAGE_URL],
        "confirmation_input": [INPUT_URL],
        "lessons_request": [INPUT_URL],
        "input_reminder": [INPUT_URL],
        "password_reset": [RESET_URL],
    }[name]
    for link in links:
        assert link in rendered.text
        assert f'href="{link}"' in rendered.html


@pytest.mark.parametrize(("name", "lang"), CASES)
def test_html_escapes_a_name_while_the_text_part_keeps_it_as_typed(
    env: Environment, name: str, lang: str
) -> None:
    hostile = "<script>alert(1)</script> & Co"
    rendered = _render(env, name, lang, person_name=hostile)

    assert "<script>" not in rendered.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in rendered.html
    assert hostile in rendered.text


@pytest.mark.parametrize(("name", "lang"), CASES)
def test_a_missing_variable_raises_instead_of_rendering_blank(
    env: Environment, name: str, lang: str
) -> None:
    context = dict(CONTEXTS[(name, lang)])
    del context["person_name"]
    with pytest.raises(UndefinedError):
        render_email(env, name, lang, context)


def test_unknown_language_falls_back_to_dutch(env: Environment) -> None:
    context = CONTEXTS[("invitation", "nl")]
    assert render_email(env, "invitation", "de", context) == render_email(
        env, "invitation", "nl", context
    )


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_a_moved_session_says_so_in_subject_and_text(env: Environment, lang: str) -> None:
    first = _render(env, "calendar_invite", lang)
    update = _render(env, "calendar_invite", lang, is_update=True)
    assert update.subject != first.subject
    assert update.subject.startswith("Gewijzigd" if lang == "nl" else "Changed")
    assert ("gewijzigd" if lang == "nl" else "has changed") in update.text
