"""Simulated invitees: their answers and their input, seeded so a demo run is reproducible."""

from __future__ import annotations

import csv
import random
import tomllib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from consult.rounds.answers import record_answer
from models import (
    AttendeeStatus,
    ConsultationSession,
    Invitation,
    InvitationStatus,
    SessionAttendee,
)

ACCEPT_SHARE = 0.7
DECLINE_SHARE = 0.15  # the rest do not answer
PERMISSIONS = (("role_only", 0.65), ("attributable", 0.2), ("not_quotable", 0.15))


@dataclass(frozen=True)
class AnswerCounts:
    accepted: int
    declined: int
    silent: int


def simulate_answers(session: Session, round_id: int, now: datetime, seed: int) -> AnswerCounts:
    rng = random.Random(seed)
    accepted = declined = silent = 0
    invitations = session.scalars(
        select(Invitation)
        .where(Invitation.round_id == round_id, Invitation.status == InvitationStatus.PENDING)
        .options(joinedload(Invitation.round))
        .order_by(Invitation.id)
    ).all()
    for invitation in invitations:
        draw = rng.random()
        if draw < ACCEPT_SHARE:
            record_answer(invitation, True, now)
            accepted += 1
        elif draw < ACCEPT_SHARE + DECLINE_SHARE:
            record_answer(invitation, False, now)
            declined += 1
        else:
            silent += 1
    session.flush()
    return AnswerCounts(accepted, declined, silent)


def load_corpus(config_dir: Path) -> list[dict[str, str]]:
    with (config_dir / "demo" / "contributions.toml").open("rb") as fh:
        corpus: list[dict[str, str]] = tomllib.load(fh)["contributions"]
    return corpus


def write_input_file(
    session: Session, round_id: int, corpus: list[dict[str, str]], path: Path, seed: int
) -> int:
    """Hand each corpus text to a scheduled attendee of its theme, as if they had typed it, and
    write the lot as an input file in the format `consult input import` reads."""
    rng = random.Random(seed)
    attendees: dict[str, list[tuple[str, str]]] = defaultdict(list)
    rows = session.execute(
        select(ConsultationSession, SessionAttendee)
        .join(SessionAttendee.session)
        .where(
            ConsultationSession.round_id == round_id,
            SessionAttendee.status == AttendeeStatus.SCHEDULED,
        )
        .options(joinedload(SessionAttendee.person), joinedload(ConsultationSession.theme))
        .order_by(SessionAttendee.id)
    )
    for cs, attendee in rows:
        attendees[cs.theme.slug].append((attendee.person.email, attendee.person.language))
    written = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(
            fh, fieldnames=["email", "theme", "kind", "text", "language", "quote_permission"]
        )
        writer.writeheader()
        for entry in corpus:
            people = attendees.get(entry["theme"])
            if not people:
                continue
            # English texts go to English speakers where there are any.
            same_language = [p for p in people if p[1] == entry["language"]]
            email, _ = rng.choice(same_language or people)
            permission = rng.choices(
                [p for p, _ in PERMISSIONS], weights=[w for _, w in PERMISSIONS]
            )[0]
            writer.writerow(
                {
                    "email": email,
                    "theme": entry["theme"],
                    "kind": entry["kind"],
                    "text": entry["text"],
                    "language": entry["language"],
                    "quote_permission": permission,
                }
            )
            written += 1
    return written
