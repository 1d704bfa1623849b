"""Simulated invitees: their answers and their input, seeded so a demo run is reproducible."""

from __future__ import annotations

import csv
import random
import tomllib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from consult.rounds.availability import CandidateTime, offered_times
from consult.rounds.respond import Reply, respond
from models import (
    AttendeeStatus,
    ConsultationSession,
    Invitation,
    InvitationStatus,
    Person,
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
    # Candidate times ticked by the people who accepted, all together (a time once, however
    # many of their themes have a slot then).
    slots_ticked: int = 0


def simulate_answers(session: Session, round_id: int, now: datetime, seed: int) -> AnswerCounts:
    rng = random.Random(seed)
    accepted = declined = silent = ticked = 0
    invitations = session.scalars(
        select(Invitation)
        .where(Invitation.round_id == round_id, Invitation.status == InvitationStatus.PENDING)
        .options(joinedload(Invitation.round))
        .order_by(Invitation.id)
    ).all()
    for invitation in invitations:
        draw = rng.random()
        if draw < ACCEPT_SHARE:
            # Answered as on the page: yes, with the times that suit them, in one step.
            times = _pick_times(offered_times(session, invitation), invitation, rng)
            respond(session, invitation, Reply(True, slot_ids=times), now)
            ticked += len(times)
            accepted += 1
        elif draw < ACCEPT_SHARE + DECLINE_SHARE:
            respond(session, invitation, Reply(False), now)
            declined += 1
        else:
            silent += 1
    session.flush()
    return AnswerCounts(accepted, declined, silent, ticked)


def _pick_times(
    times: list[CandidateTime], invitation: Invitation, rng: random.Random
) -> list[int]:
    """Tick 2-5 candidate times, as people do on the page: mostly times of the theme they
    were invited for, a time of their second theme when they can make more than that offers."""
    preferences = invitation.theme_preferences
    first = [t.id for t in times if preferences[0] in t.theme_slugs]
    second = [
        t.id
        for t in times
        if len(preferences) > 1 and preferences[1] in t.theme_slugs and t.id not in first
    ]
    wanted = rng.randint(2, 5)
    chosen = rng.sample(first, min(wanted, len(first)))
    chosen += rng.sample(second, min(wanted - len(chosen), len(second)))
    return chosen


def load_corpus(config_dir: Path) -> list[dict[str, Any]]:
    with (config_dir / "demo" / "contributions.toml").open("rb") as fh:
        corpus: list[dict[str, Any]] = tomllib.load(fh)["contributions"]
    return corpus


def write_input_file(
    session: Session, round_id: int, corpus: list[dict[str, Any]], path: Path, seed: int
) -> int:
    """Hand each corpus text to a scheduled attendee of its theme, as if they had typed it, and
    write the lot as an input file in the format `consult input import` reads. A text that
    speaks from a sector (its `sectors`) goes only to someone from such an organisation: a GP
    does not write "as an insurer"; with nobody of that sector in the theme it is left out."""
    rng = random.Random(seed)
    attendees: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    rows = session.execute(
        select(ConsultationSession, SessionAttendee)
        .join(SessionAttendee.session)
        .where(
            ConsultationSession.round_id == round_id,
            SessionAttendee.status == AttendeeStatus.SCHEDULED,
        )
        .options(
            joinedload(SessionAttendee.person).joinedload(Person.organisation),
            joinedload(ConsultationSession.theme),
        )
        .order_by(SessionAttendee.id)
    )
    for cs, attendee in rows:
        person = attendee.person
        attendees[cs.theme.slug].append((person.email, person.language, person.organisation.sector))
    written = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(
            fh, fieldnames=["email", "theme", "kind", "text", "language", "quote_permission"]
        )
        writer.writeheader()
        for entry in corpus:
            people = attendees.get(entry["theme"], [])
            voices = entry.get("sectors")
            if voices:
                people = [p for p in people if p[2] in voices]
            if not people:
                continue
            # English texts go to English speakers where there are any.
            same_language = [p for p in people if p[1] == entry["language"]]
            email = rng.choice(same_language or people)[0]
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
