"""The input form of an invitee's session: the theme's guiding questions before the session,
lessons learned and proposals after it. Answers are saved as drafts or handed in, and can be
changed until the round's input deadline; after it the form is read-only.

Each form field is one Contribution, found again through its source_key, so saving the same
form twice updates the same rows instead of adding new ones.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.contributions.intake import MAX_TEXT
from consult.text import clean_text
from models import (
    ConsultationSession,
    Contribution,
    ContributionKind,
    Invitation,
    QuotePermission,
    Theme,
)

__all__ = [
    "MAX_TEXT",
    "AnswerInput",
    "FormErrors",
    "FormField",
    "InputClosed",
    "Phase",
    "SaveResult",
    "StoredAnswer",
    "form_fields",
    "input_open",
    "load_answers",
    "normalise_text",
    "parse_answers",
    "phase_at",
    "save_answers",
]


class Phase(StrEnum):
    BEFORE = "before"
    AFTER = "after"


@dataclass(frozen=True)
class FormField:
    key: str
    kind: ContributionKind
    # The guiding question in the reader's language; None for lessons learned and proposals.
    question: str | None = None


@dataclass(frozen=True)
class AnswerInput:
    key: str
    text: str
    permission: QuotePermission


@dataclass(frozen=True)
class StoredAnswer:
    key: str
    contribution_id: int
    text: str
    permission: QuotePermission
    draft: bool
    submitted_at: datetime


@dataclass(frozen=True)
class SaveResult:
    changed: bool
    # Contributions this save handed in, or changed while they were handed in.
    submitted_ids: list[int]
    # Every field of the form that is handed in after this save, in form order.
    submitted_keys: list[str]
    # Identifies the handed-in content (None when nothing is handed in).
    digest: str | None


class InputClosed(Exception):
    """The round's input deadline has passed."""


class FormErrors(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def phase_at(cs: ConsultationSession, now: datetime) -> Phase:
    """Lessons learned and proposals are asked for once the session has ended."""
    return Phase.AFTER if now >= cs.end else Phase.BEFORE


def input_open(cs: ConsultationSession, now: datetime) -> bool:
    return now <= cs.round.input_deadline


def form_fields(theme: Theme, phase: Phase, language: str) -> list[FormField]:
    if phase is Phase.BEFORE:
        return [
            FormField(f"q{n}", ContributionKind.PRE_SESSION_ANSWER, question)
            for n, question in enumerate(theme.questions(language), start=1)
        ]
    return [
        FormField("lessons", ContributionKind.LESSON_LEARNED),
        FormField("proposals", ContributionKind.PROPOSAL),
    ]


def _source_key(invitation: Invitation, cs: ConsultationSession, key: str) -> str:
    return f"web:round {invitation.round_id}:person {invitation.person_id}:session {cs.id}:{key}"


def _stored_rows(
    session: Session, invitation: Invitation, cs: ConsultationSession, fields: Sequence[FormField]
) -> dict[str, Contribution]:
    by_source = {_source_key(invitation, cs, f.key): f.key for f in fields}
    rows = session.scalars(select(Contribution).where(Contribution.source_key.in_(by_source)))
    return {by_source[row.source_key]: row for row in rows if row.source_key}


def load_answers(
    session: Session, invitation: Invitation, cs: ConsultationSession, fields: Sequence[FormField]
) -> dict[str, StoredAnswer]:
    return {
        key: StoredAnswer(key, row.id, row.text, row.quote_permission, row.draft, row.submitted_at)
        for key, row in _stored_rows(session, invitation, cs, fields).items()
    }


def normalise_text(raw: str) -> str:
    return clean_text(raw).strip()


def parse_answers(
    fields: Sequence[FormField], form: Mapping[str, str]
) -> tuple[list[AnswerInput], dict[str, str]]:
    """Read `text-<key>` and `permission-<key>` for every field. Errors are keyed by the form
    field's name, so a page can link each message to its field."""
    answers: list[AnswerInput] = []
    errors: dict[str, str] = {}
    for field in fields:
        text = normalise_text(form.get(f"text-{field.key}", ""))
        if len(text) > MAX_TEXT:
            errors[f"text-{field.key}"] = "too_long"
        raw_permission = form.get(f"permission-{field.key}", "")
        if raw_permission in QuotePermission.__members__.values():
            permission = QuotePermission(raw_permission)
        elif text:
            errors[f"permission-{field.key}"] = "bad_permission"
            continue
        else:
            permission = QuotePermission.ROLE_ONLY  # an empty answer is not stored at all
        answers.append(AnswerInput(field.key, text, permission))
    return answers, errors


def _digest(items: Sequence[tuple[str, str, str]]) -> str:
    h = hashlib.sha256()
    for item in items:
        h.update("\x1f".join(item).encode("utf-8") + b"\x1e")
    return h.hexdigest()[:24]


def save_answers(
    session: Session,
    invitation: Invitation,
    cs: ConsultationSession,
    fields: Sequence[FormField],
    answers: Sequence[AnswerInput],
    submit: bool,
    language: str,
    now: datetime,
) -> SaveResult:
    """Save the form as drafts, or hand it in (submit). A handed-in answer stays handed in:
    saving a draft afterwards updates its text but does not withdraw it."""
    if not input_open(cs, now):
        raise InputClosed
    rows = _stored_rows(session, invitation, cs, fields)
    given = {a.key: a for a in answers}
    errors: dict[str, str] = {}
    for field in fields:
        answer, row = given.get(field.key), rows.get(field.key)
        if (answer is None or not answer.text) and row is not None and not row.draft:
            # It may already be read by staff; an empty field is more likely a slip than intent.
            errors[f"text-{field.key}"] = "cannot_clear"
    if submit and not any(a.text for a in answers) and not rows:
        errors[f"text-{fields[0].key}"] = "nothing"
    if errors:
        raise FormErrors(errors)

    changed = False
    submitted: list[Contribution] = []
    for field in fields:
        answer, row = given.get(field.key), rows.get(field.key)
        if answer is None or not answer.text:
            if row is not None:  # a draft emptied: nothing left to keep
                session.delete(row)
                del rows[field.key]
                changed = True
            continue
        draft = False if submit else (row.draft if row is not None else True)
        if row is None:
            row = Contribution(
                round_id=invitation.round_id,
                person_id=invitation.person_id,
                theme_id=cs.theme_id,
                session_id=cs.id,
                kind=field.kind,
                text=answer.text,
                language=language,
                quote_permission=answer.permission,
                source_key=_source_key(invitation, cs, field.key),
                draft=draft,
                submitted_at=now,
            )
            session.add(row)
            rows[field.key] = row
        elif (row.text, row.quote_permission, row.draft) != (answer.text, answer.permission, draft):
            if row.text != answer.text:
                row.language = language
            row.text, row.quote_permission, row.draft = answer.text, answer.permission, draft
            row.submitted_at = now
        else:
            continue
        changed = True
        if not draft:
            submitted.append(row)
    session.flush()
    handed_in = [f.key for f in fields if f.key in rows and not rows[f.key].draft]
    digest = (
        _digest([(k, rows[k].text, rows[k].quote_permission.value) for k in handed_in])
        if handed_in
        else None
    )
    return SaveResult(changed, [row.id for row in submitted], handed_in, digest)
