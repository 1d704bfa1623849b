"""Re-scheduling benchmark: how many people a late answer moves, and how long it takes.

Per seed: 2,000 invitees (bench/scheduling.py's round) are scheduled; then 20 late
acceptances and 20 declines (in random order) and one withdrawn slot are applied one at a
time (every other late acceptance ticks only the fullest time of their theme, where often no
seat is free), each followed by a re-plan, the way `consult schedule apply` does it (sessions
matched by the people they share, diff.plan_changes). Per event it records how many people who
already had a seat get a calendar change (moved, or their seat cancelled), the wall time, and the
same for the whole round solved again as before repair existed (SolverOptions(repair=False):
stability in the objective, search from the better of greedy and the current plan); that
re-solve is only measured, the plan carries on from the re-plan. It takes tens of seconds,
so by default it runs for the first acceptance, decline and withdrawn slot of each seed only
(--resolve-all: after every event).

Prints one JSON object with the events per seed and the summary keys
max_changed_per_acceptance, median_changed, max_wall_s (and the same prefixed resolve_).
Run: uv run python bench/rescheduling.py [--seeds 5] [--people 2000] [--resolve-all]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from scheduling import make_problem

from consult.scheduling.diff import changed_calendars, plan_changes
from consult.scheduling.model import GroupKey, Person, Problem, Solution, violations
from consult.scheduling.optimiser import SolverOptions, optimise
from consult.scheduling.proposal import RunningGroup

LATE = 20
DECLINES = 20


def running_after(
    running: list[RunningGroup], solution: Solution, next_id: int
) -> tuple[list[RunningGroup], int]:
    """The sessions after applying the plan, keyed the way proposal._seating keys them:
    per slot, indices in session order."""
    changes = plan_changes(running, solution.groups)
    members = {g.session_id: set(g.members) for g in running}
    slot_of = {g.session_id: (g.key.theme, g.key.slot_id) for g in running}
    for sid in changes.cancel:
        del members[sid]
    for sid, pid in changes.leave:
        members[sid].discard(pid)
    for sid, pid in changes.join:
        members[sid].add(pid)
    for new in changes.create:
        members[next_id] = set(new.members)
        slot_of[next_id] = (new.theme, new.slot_id)
        next_id += 1
    index: dict[tuple[str, int], int] = defaultdict(int)
    after = []
    for sid in sorted(members, key=lambda s: (slot_of[s][1], s)):
        theme, slot = slot_of[sid]
        after.append(
            RunningGroup(sid, GroupKey(theme, slot, index[theme, slot]), frozenset(members[sid]))
        )
        index[theme, slot] += 1
    return after, next_id


def problem_now(people: dict[int, Person], base: Problem, running: list[RunningGroup]) -> Problem:
    previous = {pid: g.key for g in running for pid in g.members if pid in people}
    return Problem(tuple(people[i] for i in sorted(people)), base.themes, previous)


def run_seed(
    seed: int, n_people: int, budget: float, resolve_budget: float, resolve_all: bool
) -> dict[str, object]:
    rng = random.Random(1000 + seed)
    full = make_problem(seed, n_people + LATE)
    late = list(full.people[n_people:])
    people = {p.id: p for p in full.people[:n_people]}
    base = Problem(tuple(people.values()), full.themes)
    first = optimise(base, SolverOptions(seed=seed, deterministic_limit=budget, wall_limit_s=30.0))
    print(f"seed {seed}: first plan in {first.wall_s:.1f} s", file=sys.stderr, flush=True)
    running, next_id = running_after([], first, 1)

    kinds = ["accept"] * LATE + ["decline"] * DECLINES
    rng.shuffle(kinds)
    kinds.append("cancel_slot")
    events = []
    themes = base.themes
    resolved_kinds: set[str] = set()
    for kind in kinds:
        if kind == "accept":
            newcomer = late.pop()
            if len(late) % 2:
                # Every other late acceptance can only come at the fullest time of their
                # first theme: no free seat there, someone has to make room.
                fill: dict[int, int] = defaultdict(int)
                for g in running:
                    if g.key.theme == newcomer.preferences[0]:
                        fill[g.key.slot_id] += len(g.members)
                if fill:
                    slot = max(fill, key=lambda s: (fill[s], s))
                    newcomer = replace(
                        newcomer, preferences=newcomer.preferences[:1], available=frozenset({slot})
                    )
            people[newcomer.id] = newcomer
            subject: object = newcomer.id
        elif kind == "decline":
            seated = sorted(pid for g in running for pid in g.members)
            subject = rng.choice(seated)
            del people[subject]
        else:
            # The busiest slot is withdrawn: the hardest case for keeping people in place.
            busy: dict[tuple[str, int], int] = defaultdict(int)
            for g in running:
                busy[g.key.theme, g.key.slot_id] += len(g.members)
            theme, slot = max(busy, key=lambda k: (busy[k], k))
            subject = slot
            themes = tuple(
                replace(t, slot_ids=tuple(s for s in t.slot_ids if s != slot))
                if t.slug == theme
                else t
                for t in themes
            )
        problem = problem_now(people, Problem((), themes), running)
        staying = set(people)

        started = time.perf_counter()
        plan = optimise(problem, SolverOptions(seed=seed, deterministic_limit=budget))
        wall = time.perf_counter() - started
        changed = changed_calendars(running, plan_changes(running, plan.groups), staying)

        event: dict[str, object] = {
            "event": kind,
            "subject": subject,
            "changed": len(changed),
            "wall_s": round(wall, 3),
            "status": plan.status,
            "unplaced": len(plan.unplaced),
            "violations": len(violations(problem, plan)),
        }
        if resolve_all or kind not in resolved_kinds:
            resolved_kinds.add(kind)
            started = time.perf_counter()
            resolved = optimise(
                problem,
                SolverOptions(seed=seed, deterministic_limit=resolve_budget, repair=False),
            )
            event["resolve_wall_s"] = round(time.perf_counter() - started, 3)
            event["resolve_changed"] = len(
                changed_calendars(running, plan_changes(running, resolved.groups), staying)
            )
            event["resolve_unplaced"] = len(resolved.unplaced)
        events.append(event)
        running, next_id = running_after(running, plan, next_id)
        print(json.dumps({"seed": seed, **events[-1]}), file=sys.stderr, flush=True)
    return {
        "seed": seed,
        "initial_placed": n_people - len(first.unplaced),
        "initial_wall_s": round(first.wall_s, 2),
        "events": events,
    }


def summary(events: list[dict[str, object]], prefix: str) -> dict[str, float]:
    def values(key: str, kind: str | None = None) -> list[float]:
        return [
            float(e[prefix + key])  # type: ignore[arg-type]
            for e in events
            if (kind is None or e["event"] == kind) and prefix + key in e
        ]

    return {
        f"{prefix}max_changed_per_acceptance": max(values("changed", "accept")),
        f"{prefix}max_changed_per_decline": max(values("changed", "decline")),
        f"{prefix}max_changed_cancel_slot": max(values("changed", "cancel_slot")),
        f"{prefix}median_changed": statistics.median(values("changed")),
        f"{prefix}max_wall_s": max(values("wall_s")),
        f"{prefix}median_wall_s": round(statistics.median(values("wall_s")), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--budget", type=float, default=2.0, help="first schedule, re-plans")
    parser.add_argument(
        "--resolve-budget", type=float, default=1.0, help="deterministic limit of the re-solve"
    )
    parser.add_argument(
        "--resolve-all",
        action="store_true",
        help="re-solve after every event (slow: tens of seconds each), not only the first of "
        "each kind per seed",
    )
    args = parser.parse_args()
    seeds = [
        run_seed(s, args.people, args.budget, args.resolve_budget, args.resolve_all)
        for s in range(args.seeds)
    ]
    events = [e for s in seeds for e in s["events"]]  # type: ignore[attr-defined]
    print(
        json.dumps(
            {
                "people": args.people,
                "events_per_seed": LATE + DECLINES + 1,
                **summary(events, ""),
                **summary(events, "resolve_"),
                "violations": sum(e["violations"] for e in events),
                "seeds": seeds,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
