"""Launch a round from its spec: the round, its candidate slots and its invitations.

Re-launching the same spec adds only what is missing, so a retried flow never doubles anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.i18n import gettext as _
from consult.registry.selection import Candidate, select_invitees
from consult.spec import RoundSpec, check_calendar
from models import CandidateSlot, Invitation, Organisation, Person, Region, Round, Theme


class LaunchError(ValueError):
    pass


@dataclass(frozen=True)
class LaunchResult:
    round_id: int
    slots_created: int
    invitations_created: int
    invitations_total: int
    # Slots launched despite a holiday or weekend (spec holiday_slots / weekend_slots = "warn").
    warnings: tuple[str, ...] = ()


def launch_round(
    session: Session, spec: RoundSpec, organiser_name: str, organiser_email: str, seed: int = 0
) -> LaunchResult:
    themes = {t.slug: t for t in session.scalars(select(Theme))}
    unknown = [t.slug for t in spec.themes if t.slug not in themes]
    if unknown:
        raise LaunchError(
            _("unknown theme in the round spec: %(themes)s", themes=", ".join(unknown))
        )
    calendar = check_calendar(spec)
    if calendar.errors:
        raise LaunchError(_("slots not usable: %(problems)s", problems="; ".join(calendar.errors)))

    rnd = session.scalar(select(Round).where(Round.slug == spec.slug))
    if rnd is None:
        rnd = Round(
            slug=spec.slug,
            name=spec.name,
            answer_deadline=spec.answer_deadline,
            input_deadline=spec.input_deadline,
            organiser_name=organiser_name,
            organiser_email=organiser_email,
            spec=spec.model_dump(mode="json"),
        )
        session.add(rnd)
        session.flush()

    existing_slots = {
        (s.theme_id, s.start)
        for s in session.scalars(select(CandidateSlot).where(CandidateSlot.round_id == rnd.id))
    }
    slots_created = 0
    for theme_spec in spec.themes:
        theme = themes[theme_spec.slug]
        for slot in theme_spec.slots:
            if (theme.id, slot.start) in existing_slots:
                continue
            session.add(CandidateSlot(round=rnd, theme=theme, start=slot.start, end=slot.end))
            slots_created += 1

    invited = set(
        session.scalars(select(Invitation.person_id).where(Invitation.round_id == rnd.id))
    )
    created = 0
    if not invited:
        query = (
            select(Person.id, Organisation.sector, Region.name)
            .join(Person.organisation)
            .join(Organisation.region)
        )
        if spec.regions:
            query = query.where(Region.name.in_(spec.regions))
        candidates = [
            Candidate(pid, sector, region) for pid, sector, region in session.execute(query)
        ]
        theme_slugs = [t.slug for t in spec.themes]
        chosen = select_invitees(candidates, theme_slugs, spec.invitees_per_theme, seed=seed)
        for person_id, theme_slug in sorted(chosen.items()):
            others = [s for s in theme_slugs if s != theme_slug]
            session.add(
                Invitation(round=rnd, person_id=person_id, theme_preferences=[theme_slug, *others])
            )
            created += 1
    session.flush()
    total = len(invited) + created
    if total == 0:
        raise LaunchError(_("nobody in the registry fits this round; import the registry first"))
    return LaunchResult(rnd.id, slots_created, created, total, calendar.warnings)
