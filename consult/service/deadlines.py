"""What is due for a round at a given moment, and what comes next. Pure: facts and a clock in,
actions out; the tick flow gathers the facts (consult.app.facts) and runs the actions.

Every action is safe to repeat: the flows behind it do only what is missing. So a tick that
runs twice, or one that runs late, does no harm; the facts only keep ticks from starting flows
that would find nothing to do.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from consult.i18n import N_, ngettext
from consult.i18n import gettext as _
from consult.spec import AutomationSpec

# Round statuses (models.RoundStatus values), spelt out: the pure core does not import models.
INVITING, SCHEDULED, COLLECTING = "inviting", "scheduled", "collecting"
SYNTHESISED, REPORTED, CLOSED = "synthesised", "reported", "closed"


class ActionKind(StrEnum):
    SEND_INVITATIONS = "send-invitations"
    SEND_REMINDERS = "send-reminders"
    SCHEDULE = "schedule"  # place people, then send the calendar invitations
    SEND_CALENDAR = "send-calendar-invites"
    REQUEST_LESSONS = "request-lessons"
    SYNTHESISE = "synthesise"
    COMPILE_REPORT = "compile-report"
    SEND_OUTBOX = "send-outbox"
    APPLY_RETENTION = "apply-retention"  # the retention period ended: remove personal data


# What each action means to the secretariat (status table, artifact); translated where shown.
ACTION_LABELS: dict[ActionKind, str] = {
    ActionKind.SEND_INVITATIONS: N_("send invitations"),
    ActionKind.SEND_REMINDERS: N_("send reminders (an answer or input is still missing)"),
    ActionKind.SCHEDULE: N_("schedule sessions and send calendar invitations"),
    ActionKind.SEND_CALENDAR: N_("send missing calendar invitations"),
    ActionKind.REQUEST_LESSONS: N_("ask attendees for lessons learned"),
    ActionKind.SYNTHESISE: N_("compose building blocks from the input"),
    ActionKind.COMPILE_REPORT: N_("write the report"),
    ActionKind.SEND_OUTBOX: N_("send waiting mail"),
    ActionKind.APPLY_RETENTION: N_("remove the round's personal data (retention period over)"),
}


def action_label(kind: ActionKind) -> str:
    return _(ACTION_LABELS[kind])


@dataclass(frozen=True)
class SessionFacts:
    session_id: int
    start: datetime
    end: datetime
    # Scheduled attendees who have not been asked for lessons learned yet.
    not_asked: int


@dataclass(frozen=True)
class RoundFacts:
    round_id: int
    slug: str
    status: str
    answer_deadline: datetime
    input_deadline: datetime
    reminder_days_before: tuple[float, ...]
    automation: AutomationSpec
    input_reminder_days_before: tuple[float, ...] = ()
    # Invitations whose email has not been written yet.
    uninvited: int = 0
    # Invitees owed a reminder at the moment the facts were gathered (to answer while the round
    # invites, to hand in input once it is scheduled).
    reminders_due: int = 0
    # Seats whose calendar message for the session's current version has not been written.
    calendar_pending: int = 0
    sessions: tuple[SessionFacts, ...] = ()
    contributions: int = 0
    blocks: int = 0
    draft_blocks: int = 0
    approved_blocks: int = 0
    # Messages of this round waiting in the outbox (new, or to be retried).
    outbox_waiting: int = 0
    # When the round's personal data is to be removed (None: not known to the caller), and
    # whether that has happened.
    retention_ends: datetime | None = None
    personal_data_removed: bool = False


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    round_id: int
    session_ids: tuple[int, ...] = ()

    def describe(self) -> str:
        label = action_label(self.kind)
        if self.session_ids:
            return ngettext(
                "%(action)s (%(num)s session)",
                "%(action)s (%(num)s sessions)",
                len(self.session_ids),
                action=label,
            )
        return label


@dataclass(frozen=True)
class NextStep:
    when: datetime | None  # None: when staff are done (not a moment on the clock)
    what: str


def is_scheduled(status: str) -> bool:
    return status not in (INVITING,)


def lessons_moment(facts: RoundFacts, session: SessionFacts) -> datetime | None:
    auto = facts.automation
    if not auto.request_lessons:
        return None
    return session.end + timedelta(hours=auto.lessons_request_hours_after)


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` later (the month's last day where it is shorter)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return moment.replace(year=year, month=month, day=min(moment.day, last))


def retention_ends(reported_at: datetime | None, input_deadline: datetime, months: int) -> datetime:
    """When a round's personal data goes: `months` after its report, or after its input
    deadline for a round that was never reported (it must not be kept for ever either)."""
    return add_months(reported_at or input_deadline, months)


def retention_due(facts: RoundFacts, now: datetime) -> bool:
    return (
        facts.retention_ends is not None
        and not facts.personal_data_removed
        and now >= facts.retention_ends
    )


def due_actions(facts: RoundFacts, now: datetime) -> list[Action]:
    """The actions the service should run for this round now, in the order to run them."""
    auto, rid = facts.automation, facts.round_id
    # The law, not a switch: a round whose retention period ended loses its personal data
    # even when the service otherwise leaves it alone, and nothing else is done for it.
    if retention_due(facts, now):
        return [Action(ActionKind.APPLY_RETENTION, rid)]
    if not auto.enabled or facts.status == CLOSED:
        return []
    actions: list[Action] = []
    open_for_answers = now < facts.answer_deadline
    if facts.status == INVITING and open_for_answers:
        if auto.send_invitations and facts.uninvited:
            actions.append(Action(ActionKind.SEND_INVITATIONS, rid))
        if auto.send_reminders and facts.reminders_due:
            actions.append(Action(ActionKind.SEND_REMINDERS, rid))
    if facts.status == INVITING and not open_for_answers and auto.schedule_after_answer_deadline:
        actions.append(Action(ActionKind.SCHEDULE, rid))
    elif is_scheduled(facts.status) and facts.status != REPORTED and facts.calendar_pending:
        actions.append(Action(ActionKind.SEND_CALENDAR, rid))
    if now < facts.input_deadline and facts.status in (SCHEDULED, COLLECTING):
        if auto.send_reminders and facts.reminders_due:
            actions.append(Action(ActionKind.SEND_REMINDERS, rid))
        ask = tuple(
            s.session_id
            for s in facts.sessions
            if s.not_asked and (moment := lessons_moment(facts, s)) is not None and now >= moment
        )
        if ask:
            actions.append(Action(ActionKind.REQUEST_LESSONS, rid, ask))
    if (
        now >= facts.input_deadline
        and auto.synthesise_after_input_deadline
        and facts.status in (INVITING, SCHEDULED, COLLECTING)
    ):
        actions.append(Action(ActionKind.SYNTHESISE, rid))
    if facts.status == SYNTHESISED and auto.report_when_approved and all_blocks_approved(facts):
        actions.append(Action(ActionKind.COMPILE_REPORT, rid))
    sending = {
        ActionKind.SEND_INVITATIONS,
        ActionKind.SEND_REMINDERS,
        ActionKind.SCHEDULE,
        ActionKind.SEND_CALENDAR,
        ActionKind.REQUEST_LESSONS,
    }
    if facts.outbox_waiting and not any(a.kind in sending for a in actions):
        actions.append(Action(ActionKind.SEND_OUTBOX, rid))
    return actions


def all_blocks_approved(facts: RoundFacts) -> bool:
    """Staff decided on every block and approved at least one (rejected ones stay out)."""
    return facts.blocks > 0 and facts.draft_blocks == 0 and facts.approved_blocks > 0


def _count(days: float) -> int:
    # The plural form of a number of days that may be a fraction ("1,5 dagen"): singular for 1.
    return 1 if days == 1 else 2


def next_steps(facts: RoundFacts, now: datetime) -> list[NextStep]:
    """The coming deadlines and what the service will do at each, earliest first; last, what
    waits on staff rather than on the clock."""
    auto = facts.automation
    if facts.status in (REPORTED, CLOSED):
        if facts.retention_ends is None or facts.personal_data_removed:
            return []
        return [NextStep(facts.retention_ends, action_label(ActionKind.APPLY_RETENTION))]
    timed: list[NextStep] = []
    if facts.status == INVITING and now < facts.answer_deadline:
        if auto.send_reminders:
            for days in sorted(set(facts.reminder_days_before), reverse=True):
                moment = facts.answer_deadline - timedelta(days=days)
                if moment > now:
                    timed.append(
                        NextStep(
                            moment,
                            ngettext(
                                "reminder (%(days)s day before the answer deadline)",
                                "reminder (%(days)s days before the answer deadline)",
                                _count(days),
                                days=format(days, "g"),
                            ),
                        )
                    )
        timed.append(
            NextStep(
                facts.answer_deadline,
                _(
                    "answer deadline closes: %(then)s",
                    then=action_label(ActionKind.SCHEDULE)
                    if auto.schedule_after_answer_deadline
                    else _("schedule with `consult round schedule`"),
                ),
            )
        )
    if auto.request_lessons and facts.status in (SCHEDULED, COLLECTING):
        hours = timedelta(hours=auto.lessons_request_hours_after)
        coming = sorted(
            (s.end + hours, s.session_id)
            for s in facts.sessions
            if s.not_asked and now < s.end + hours < facts.input_deadline
        )
        if coming:
            what = _(
                "after session %(session)s: ask attendees for lessons learned",
                session=coming[0][1],
            )
            if len(coming) > 1:
                what = _("%(what)s (and %(more)s more after that)", what=what, more=len(coming) - 1)
            timed.append(NextStep(coming[0][0], what))
    if facts.status in (INVITING, SCHEDULED, COLLECTING) and now < facts.input_deadline:
        if auto.send_reminders:
            for days in sorted(set(facts.input_reminder_days_before), reverse=True):
                moment = facts.input_deadline - timedelta(days=days)
                if moment > now:
                    timed.append(
                        NextStep(
                            moment,
                            ngettext(
                                "reminder to those who gave no input yet (%(days)s day before "
                                "the input deadline)",
                                "reminder to those who gave no input yet (%(days)s days before "
                                "the input deadline)",
                                _count(days),
                                days=format(days, "g"),
                            ),
                        )
                    )
        timed.append(
            NextStep(
                facts.input_deadline,
                _(
                    "input deadline closes: %(then)s",
                    then=action_label(ActionKind.SYNTHESISE)
                    if auto.synthesise_after_input_deadline
                    else _("compose with `consult round synthesise`"),
                ),
            )
        )
    steps = sorted(timed, key=lambda s: s.when or now)
    if facts.status == SYNTHESISED:
        waiting = (
            _(
                "write the report once staff have reviewed every building block "
                "(%(drafts)s of %(blocks)s still in draft)",
                drafts=facts.draft_blocks,
                blocks=facts.blocks,
            )
            if auto.report_when_approved
            else _("write the report with `consult report`")
        )
        steps.append(NextStep(None, waiting))
    return steps
