"""The schedule page of a round in the workplace: compute a proposal and keep it, apply the kept
proposal only while the round still looks as it did when it was computed, withdraw a slot, and
the page's rows (the plan that runs now and the proposal).

A proposal is kept as plain JSON with a fingerprint of the scheduling problem it solves (the
accepted people with their themes and ticked times, the open slots, the rules, and who sits
where). Applying takes the round's scheduling lock, compares the fingerprint with the problem
as it is then, and applies exactly the plan the secretariat looked at through the same use
case as `consult schedule apply` (consult.app.scheduling.schedule). Its calendar messages are
queued in the same transaction, so a committed plan always has them and a refused one none.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from consult.app import audit, calendar, scheduling
from consult.app.people import sector_names, theme_titles
from consult.i18n import N_, current_language, format_datetime, format_time_range
from consult.i18n import gettext as _
from consult.scheduling.diff import SessionChanges, changed_calendars
from consult.scheduling.model import GroupKey, Infeasibility, Reason, Solution, reason_text
from consult.scheduling.model import violations as rule_violations
from consult.scheduling.optimiser import SolverOptions
from consult.scheduling.proposal import RoundProblem, round_problem
from consult.wiring import App
from models import (
    AttendeeStatus,
    CandidateSlot,
    ConsultationSession,
    Organisation,
    Person,
    Region,
    Round,
    ScheduleProposal,
    SessionStatus,
)
from models.db import LockSpace, hold_lock

# The CLI's defaults: the same problem gives the same proposal from the page and the command.
SOLVER = SolverOptions()


# ---- the kept proposal (pure) ----------------------------------------------------------------


def fingerprint(rp: RoundProblem) -> str:
    """A hash of everything the plan depends on; any change to the answers, the ticked times,
    the slots, the rules or the seating changes it."""
    problem = rp.problem
    facts = {
        "people": sorted(
            [
                p.id,
                p.sector,
                p.region,
                list(p.preferences),
                sorted(p.available),
                p.must_place,
                sorted([k.theme, k.slot_id, k.index] for k in p.excluded),
            ]
            for p in problem.people
        ),
        "themes": [
            [
                t.slug,
                list(t.slot_ids),
                t.group_min,
                t.group_max,
                t.parallel_groups,
                t.min_sectors,
                t.max_per_sector,
                t.min_regions,
            ]
            for t in problem.themes
        ],
        "running": sorted(
            [g.session_id, g.key.theme, g.key.slot_id, g.key.index, sorted(g.members)]
            for g in rp.running
        ),
    }
    encoded = json.dumps(facts, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()


def plan_json(rp: RoundProblem, solution: Solution, changes: SessionChanges) -> dict[str, Any]:
    """The proposal as plain JSON: groups with their sector and region mix, unplaced people and
    why, the solver's status and time, and what would change. People by id only."""
    people = {p.id: p for p in rp.problem.people}
    running = {g.session_id: sorted(g.members) for g in rp.running}
    staying = set(people)
    return {
        "status": solution.status,
        "wall_s": round(solution.wall_s, 3),
        "gap": solution.gap,
        "people": len(people),
        "groups": [
            {
                "theme": key.theme,
                "slot": key.slot_id,
                "index": key.index,
                "members": sorted(members),
                "sectors": dict(Counter(people[i].sector for i in members)),
                "regions": dict(Counter(people[i].region for i in members)),
            }
            for key, members in sorted(
                solution.groups.items(), key=lambda kv: (kv[0].theme, kv[0].slot_id, kv[0].index)
            )
        ],
        "unplaced": [[pid, reason.value] for pid, reason in sorted(solution.unplaced.items())],
        "infeasible": [
            {"rule": i.rule, "theme": i.theme, "message": i.message, "suggestion": i.suggestion}
            for i in solution.infeasible
        ],
        "create": [
            {"theme": s.theme, "slot": s.slot_id, "members": list(s.members)}
            for s in changes.create
        ],
        "cancel": [{"session": sid, "members": running.get(sid, [])} for sid in changes.cancel],
        "join": [list(pair) for pair in changes.join],
        "leave": [list(pair) for pair in changes.leave],
        "existing_changed": sorted(changed_calendars(rp.running, changes, staying)),
    }


def solution_from(plan: Mapping[str, Any]) -> Solution:
    """The kept plan as the Solution it was made from (as far as applying needs it)."""
    return Solution(
        groups={
            GroupKey(g["theme"], int(g["slot"]), int(g["index"])): tuple(
                int(i) for i in g["members"]
            )
            for g in plan["groups"]
        },
        unplaced={int(pid): Reason(reason) for pid, reason in plan["unplaced"]},
        status=str(plan["status"]),
        wall_s=float(plan["wall_s"]),
        gap=float(plan["gap"]),
        infeasible=[Infeasibility(**i) for i in plan["infeasible"]],
    )


# ---- use cases ---------------------------------------------------------------------------------


class ProposalRefused(ValueError):
    """Applying is not possible now; the message says why and what to do."""


@dataclass(frozen=True)
class Computed:
    placed: int
    people: int
    unplaced: int
    status: str
    wall_s: float


def compute(
    session: Session, ctx: App, round_id: int, now: datetime, options: SolverOptions = SOLVER
) -> Computed:
    """Compute the proposal of the round and keep it in place of the last one. Under the
    round's scheduling lock, so it is computed from what the last apply committed."""
    rnd = session.get(Round, round_id)
    if rnd is None:
        raise LookupError(round_id)
    hold_lock(session, LockSpace.SCHEDULE_ROUND, round_id)
    rp, solution, changes = scheduling.preview(session, ctx, round_id, now, options)
    plan = plan_json(rp, solution, changes)
    row = session.get(ScheduleProposal, round_id)
    if row is None:
        row = ScheduleProposal(round_id=round_id)
        session.add(row)
    row.computed_at, row.fingerprint, row.plan, row.applied_at = now, fingerprint(rp), plan, None
    done = Computed(
        placed=plan["people"] - len(solution.unplaced),
        people=plan["people"],
        unplaced=len(solution.unplaced),
        status=solution.status,
        wall_s=solution.wall_s,
    )
    audit.record(
        session,
        audit.Action.SCHEDULE_PROPOSED,
        round_id=round_id,
        subject=("round", round_id),
        details={
            "people": done.people,
            "placed": done.placed,
            "unplaced": done.unplaced,
            "sessions_created": len(plan["create"]),
            "sessions_cancelled": len(plan["cancel"]),
            "existing_changed": len(plan["existing_changed"]),
            "status": done.status,
        },
    )
    return done


@dataclass(frozen=True)
class Applied:
    sessions_created: int
    sessions_cancelled: int
    attendees_added: int
    attendees_removed: int
    existing_changed: int
    unplaced: int
    calendar_messages: int


STALE = N_("The answers changed since the proposal was computed; compute it again.")


def apply(session: Session, ctx: App, round_id: int, now: datetime) -> Applied:
    """Apply the kept proposal if the round is still what it was computed from; queue the
    calendar messages it needs. Raises ProposalRefused (nothing changed) otherwise. Two applies
    at once run one after the other under the round's lock; the second finds it applied."""
    if session.get(Round, round_id) is None:
        raise LookupError(round_id)
    hold_lock(session, LockSpace.SCHEDULE_ROUND, round_id)
    row = session.get(ScheduleProposal, round_id)
    if row is None:
        raise ProposalRefused(_("There is no proposal to apply yet; compute one first."))
    if row.applied_at is not None:
        raise ProposalRefused(
            _(
                "This proposal was applied on %(when)s; compute a new one to change the plan.",
                when=format_datetime(row.applied_at, current_language()),
            )
        )
    rp = round_problem(session, round_id, ctx.taxonomy, now)
    solution = solution_from(row.plan)
    if fingerprint(rp) != row.fingerprint or rule_violations(rp.problem, solution):
        raise ProposalRefused(_(STALE))
    result = scheduling.schedule(session, ctx, round_id, now, planned=(rp, solution))
    row.applied_at = now
    queued = calendar.queue_batch(session, ctx, calendar.sessions(session, round_id), now)
    return Applied(
        sessions_created=result.sessions_created,
        sessions_cancelled=len(result.changes.cancel),
        attendees_added=result.attendees_added,
        attendees_removed=len(result.changes.leave),
        existing_changed=len(result.changed_existing),
        unplaced=len(result.unplaced),
        calendar_messages=queued,
    )


def withdraw_slot(session: Session, round_id: int, slot_id: int) -> bool:
    """Withdraw a candidate slot (the CLI's use case); its sessions are cancelled and their
    people placed elsewhere by the next proposal that is applied. False if it was already."""
    if session.get(Round, round_id) is None:
        raise LookupError(round_id)
    hold_lock(session, LockSpace.SCHEDULE_ROUND, round_id)
    return scheduling.withdraw_slot(session, round_id, slot_id)


# ---- the page's rows -------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    name: str
    sector: str
    region: str


@dataclass(frozen=True)
class GroupRow:
    slot_id: int
    when: str
    number: int
    members: tuple[Member, ...]
    sectors: str
    regions: str
    new: bool = False


@dataclass(frozen=True)
class ThemeBlock:
    title: str
    groups: tuple[GroupRow, ...]

    @property
    def people(self) -> int:
        return sum(len(g.members) for g in self.groups)


@dataclass(frozen=True)
class CalendarLine:
    name: str
    change: str  # what they get: an invitation, a move, a cancellation
    detail: str


@dataclass(frozen=True)
class UnplacedLine:
    name: str
    sector: str
    region: str
    reason: str


@dataclass(frozen=True)
class ProposalView:
    computed_at: str
    applied_at: str | None
    stale: bool
    status: str
    wall_s: float
    gap: float
    people: int
    placed: int
    themes: tuple[ThemeBlock, ...]
    sessions_created: int
    sessions_cancelled: tuple[str, ...]
    calendar: tuple[CalendarLine, ...]
    existing_changed: int
    unplaced: tuple[UnplacedLine, ...]
    problems: tuple[str, ...]


@dataclass(frozen=True)
class SlotLine:
    id: int
    theme: str
    when: str
    withdrawn: bool
    past: bool
    sessions: int
    seated: tuple[str, ...]  # people placed in its sessions now


@dataclass(frozen=True)
class SchedulePage:
    round_id: int
    name: str
    current: tuple[ThemeBlock, ...]
    slots: tuple[SlotLine, ...]
    proposal: ProposalView | None


@dataclass(frozen=True)
class SlotFacts:
    theme: str  # slug
    start: datetime
    end: datetime


@dataclass(frozen=True)
class SessionFacts:
    theme: str  # slug
    slot_id: int | None
    start: datetime
    end: datetime
    number: int


UNKNOWN = N_("(no longer in the registry)")


def _mix(counts: Mapping[str, int], names: Mapping[str, str] | None = None) -> str:
    """ "VVT 2, GGZ 1": most first, then by name."""
    labelled = [((names or {}).get(k, k), n) for k, n in counts.items()]
    return ", ".join(f"{k} {n}" for k, n in sorted(labelled, key=lambda kn: (-kn[1], kn[0])))


def _when(start: datetime, end: datetime) -> str:
    return format_time_range(start, end, current_language())


def _member(people: Mapping[int, Member], pid: int) -> Member:
    return people.get(pid) or Member(_(UNKNOWN), "", "")


def proposal_view(
    row_plan: Mapping[str, Any],
    computed_at: datetime,
    applied_at: datetime | None,
    stale: bool,
    people: Mapping[int, Member],
    slots: Mapping[int, SlotFacts],
    sessions: Mapping[int, SessionFacts],
    themes: Mapping[str, str],
    sectors: Mapping[str, str],
) -> ProposalView:
    """The kept proposal as the page shows it: names, times and titles put in, and per person
    the calendar message applying it would send. Pure."""
    lang = current_language()
    by_theme: dict[str, list[GroupRow]] = defaultdict(list)
    created = {(c["theme"], c["slot"], tuple(c["members"])) for c in row_plan["create"]}
    for g in row_plan["groups"]:
        slot = slots[g["slot"]]
        by_theme[g["theme"]].append(
            GroupRow(
                slot_id=g["slot"],
                when=_when(slot.start, slot.end),
                number=g["index"] + 1,
                members=tuple(_member(people, i) for i in g["members"]),
                sectors=_mix(g["sectors"], sectors),
                regions=_mix(g["regions"]),
                new=(g["theme"], g["slot"], tuple(g["members"])) in created,
            )
        )

    def session_label(sid: int) -> str:
        s = sessions.get(sid)
        if s is None:
            return "#" + str(sid)
        return _(
            "%(theme)s, group %(number)s, %(when)s",
            theme=themes.get(s.theme, s.theme),
            number=s.number,
            when=_when(s.start, s.end),
        )

    def slot_label(theme: str, slot_id: int) -> str:
        slot = slots[slot_id]
        return _(
            "%(theme)s, %(when)s", theme=themes.get(theme, theme), when=_when(slot.start, slot.end)
        )

    gains: dict[int, str] = {}
    for c in row_plan["create"]:
        for pid in c["members"]:
            gains[pid] = slot_label(c["theme"], c["slot"]) + " (" + _("new session") + ")"
    for sid, pid in row_plan["join"]:
        gains[pid] = session_label(sid)
    losses: dict[int, str] = {}
    for sid, pid in row_plan["leave"]:
        losses[pid] = session_label(sid)
    for c in row_plan["cancel"]:
        for pid in c["members"]:
            losses[pid] = session_label(c["session"])
    lines = []
    for pid in set(gains) | set(losses):
        if pid in gains and pid in losses:
            change = _("moved: cancellation and new invitation")
            detail = _("from %(old)s to %(new)s", old=losses[pid], new=gains[pid])
        elif pid in gains:
            change, detail = _("calendar invitation"), gains[pid]
        else:
            change, detail = _("cancellation"), losses[pid]
        lines.append(CalendarLine(_member(people, pid).name, change, detail))
    unplaced = tuple(
        UnplacedLine(m.name, sectors.get(m.sector, m.sector), m.region, reason_text(Reason(r)))
        for pid, r in row_plan["unplaced"]
        for m in [_member(people, pid)]
    )
    problems = tuple(
        _(
            "%(rule)s (%(theme)s): %(problem)s; try: %(suggestion)s",
            rule=i["rule"],
            theme=themes.get(i["theme"] or "", i["theme"] or "-"),
            problem=i["message"],
            suggestion=i["suggestion"],
        )
        for i in row_plan["infeasible"]
    )
    return ProposalView(
        computed_at=format_datetime(computed_at, lang),
        applied_at=format_datetime(applied_at, lang) if applied_at else None,
        stale=stale,
        status=row_plan["status"],
        wall_s=row_plan["wall_s"],
        gap=row_plan["gap"],
        people=row_plan["people"],
        placed=row_plan["people"] - len(row_plan["unplaced"]),
        themes=tuple(
            ThemeBlock(themes.get(slug, slug), tuple(rows))
            for slug, rows in sorted(by_theme.items(), key=lambda kv: themes.get(kv[0], kv[0]))
        ),
        sessions_created=len(row_plan["create"]),
        sessions_cancelled=tuple(session_label(c["session"]) for c in row_plan["cancel"]),
        calendar=tuple(sorted(lines, key=lambda line: (line.change, line.name))),
        existing_changed=len(row_plan["existing_changed"]),
        unplaced=unplaced,
        problems=problems,
    )


def current_view(
    planned: Sequence[tuple[SessionFacts, Sequence[Member]]],
    themes: Mapping[str, str],
    sectors: Mapping[str, str],
) -> tuple[ThemeBlock, ...]:
    """The sessions planned now, per theme in slot order, with their mix. Pure."""
    by_theme: dict[str, list[GroupRow]] = defaultdict(list)
    for facts, members in sorted(planned, key=lambda fm: (fm[0].start, fm[0].number)):
        by_theme[facts.theme].append(
            GroupRow(
                slot_id=facts.slot_id or 0,
                when=_when(facts.start, facts.end),
                number=facts.number,
                members=tuple(sorted(members, key=lambda m: m.name)),
                sectors=_mix(Counter(m.sector for m in members), sectors),
                regions=_mix(Counter(m.region for m in members)),
            )
        )
    return tuple(
        ThemeBlock(themes.get(slug, slug), tuple(rows))
        for slug, rows in sorted(by_theme.items(), key=lambda kv: themes.get(kv[0], kv[0]))
    )


def _people(session: Session, ids: Iterable[int]) -> dict[int, Member]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {
        pid: Member(name, sector, region)
        for pid, name, sector, region in session.execute(
            select(Person.id, Person.name, Organisation.sector, Region.name)
            .join(Person.organisation)
            .join(Organisation.region)
            .where(Person.id.in_(wanted))
        )
    }


def _plan_people(plan: Mapping[str, Any]) -> set[int]:
    ids = {i for g in plan["groups"] for i in g["members"]}
    ids |= {pid for pid, _ in plan["unplaced"]}
    ids |= {pid for _, pid in plan["leave"]}
    ids |= {i for c in plan["cancel"] for i in c["members"]}
    return ids


def schedule_page(session: Session, ctx: App, round_id: int, now: datetime) -> SchedulePage | None:
    """What the schedule page shows; None for a round that does not exist. Reads only (the
    fingerprint is computed, the optimiser is not run)."""
    rnd = session.get(Round, round_id)
    if rnd is None:
        return None
    themes = theme_titles(session)
    sectors = sector_names(ctx.taxonomy)
    slot_rows = list(
        session.scalars(
            select(CandidateSlot)
            .where(CandidateSlot.round_id == round_id)
            .options(selectinload(CandidateSlot.theme))
            .order_by(CandidateSlot.start, CandidateSlot.id)
        )
    )
    slots = {s.id: SlotFacts(s.theme.slug, s.start, s.end) for s in slot_rows}
    planned_sessions = list(
        session.scalars(
            select(ConsultationSession)
            .where(ConsultationSession.round_id == round_id)
            .options(selectinload(ConsultationSession.attendees))
            .order_by(ConsultationSession.id)
        )
    )
    theme_slug = {s.theme_id: s.theme.slug for s in slot_rows}
    facts: dict[int, SessionFacts] = {}
    seated: dict[int, list[int]] = {}
    for cs in planned_sessions:
        slug = theme_slug.get(cs.theme_id) or cs.theme.slug  # a session set up by hand
        facts[cs.id] = SessionFacts(slug, cs.slot_id, cs.start, cs.end, cs.group_number)
        if cs.status == SessionStatus.PLANNED:
            seated[cs.id] = [
                a.person_id for a in cs.attendees if a.status == AttendeeStatus.SCHEDULED
            ]
    row = session.get(ScheduleProposal, round_id)
    wanted = {pid for ids in seated.values() for pid in ids}
    if row is not None:
        wanted |= _plan_people(row.plan)
    people = _people(session, wanted)
    current = current_view(
        [(facts[sid], [_member(people, pid) for pid in ids]) for sid, ids in seated.items()],
        themes,
        sectors,
    )
    slot_lines = []
    for s in slot_rows:
        in_slot = [sid for sid in seated if facts[sid].slot_id == s.id]
        names = sorted(_member(people, pid).name for sid in in_slot for pid in seated[sid])
        slot_lines.append(
            SlotLine(
                s.id,
                themes.get(s.theme.slug, s.theme.slug),
                _when(s.start, s.end),
                s.cancelled,
                s.start <= now,
                len(in_slot),
                tuple(names),
            )
        )
    proposal = None
    if row is not None:
        stale = row.applied_at is None and (
            fingerprint(round_problem(session, round_id, ctx.taxonomy, now)) != row.fingerprint
        )
        proposal = proposal_view(
            row.plan,
            row.computed_at,
            row.applied_at,
            stale,
            people,
            slots,
            facts,
            themes,
            sectors,
        )
    return SchedulePage(round_id, rnd.name, current, tuple(slot_lines), proposal)
