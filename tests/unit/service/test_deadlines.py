"""The deadline logic on a clock the test sets: what is due when, and what comes next."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from consult.service.deadlines import (
    ActionKind,
    RoundFacts,
    SessionFacts,
    due_actions,
    next_steps,
    retention_ends,
)
from consult.spec import AutomationSpec

AMS = ZoneInfo("Europe/Amsterdam")
ANSWER = datetime(2030, 3, 1, 17, 0, tzinfo=AMS)
INPUT = datetime(2030, 4, 30, 23, 59, tzinfo=AMS)
SESSION_END = datetime(2030, 3, 10, 11, 30, tzinfo=AMS)

FACTS = RoundFacts(
    round_id=7,
    slug="voorjaar-2030",
    status="inviting",
    answer_deadline=ANSWER,
    input_deadline=INPUT,
    reminder_days_before=(7.0, 2.0),
    automation=AutomationSpec(),
)


def kinds(facts: RoundFacts, now: datetime) -> list[ActionKind]:
    return [a.kind for a in due_actions(facts, now)]


def test_a_fresh_round_sends_its_invitations_and_nothing_else():
    now = ANSWER - timedelta(days=20)
    assert kinds(replace(FACTS, uninvited=500), now) == [ActionKind.SEND_INVITATIONS]
    assert kinds(FACTS, now) == []


def test_reminders_only_while_answers_are_open():
    facts = replace(FACTS, reminders_due=40)
    assert kinds(facts, ANSWER - timedelta(days=6)) == [ActionKind.SEND_REMINDERS]
    assert ActionKind.SEND_REMINDERS not in kinds(facts, ANSWER)
    off = replace(facts, automation=AutomationSpec(send_reminders=False))
    assert kinds(off, ANSWER - timedelta(days=6)) == []


def test_the_answer_deadline_schedules_once():
    assert kinds(FACTS, ANSWER - timedelta(seconds=1)) == []
    assert kinds(FACTS, ANSWER) == [ActionKind.SCHEDULE]
    scheduled = replace(FACTS, status="scheduled")
    assert kinds(scheduled, ANSWER + timedelta(hours=1)) == []
    # A crash between placing people and writing their calendar invitations is picked up.
    assert kinds(replace(scheduled, calendar_pending=3), ANSWER) == [ActionKind.SEND_CALENDAR]
    manual = replace(FACTS, automation=AutomationSpec(schedule_after_answer_deadline=False))
    assert kinds(manual, ANSWER) == []


def test_attendees_are_asked_for_lessons_after_their_session_ended():
    sessions = (
        SessionFacts(1, SESSION_END - timedelta(minutes=90), SESSION_END, not_asked=5),
        SessionFacts(2, SESSION_END + timedelta(days=2), SESSION_END + timedelta(days=3), 4),
        SessionFacts(3, SESSION_END - timedelta(days=1), SESSION_END - timedelta(days=1), 0),
    )
    facts = replace(FACTS, status="scheduled", sessions=sessions)
    assert kinds(facts, SESSION_END) == []  # the default waits an hour
    actions = due_actions(facts, SESSION_END + timedelta(hours=1))
    assert [(a.kind, a.session_ids) for a in actions] == [(ActionKind.REQUEST_LESSONS, (1,))]
    never = replace(facts, automation=AutomationSpec(request_lessons=False))
    assert kinds(never, SESSION_END + timedelta(days=5)) == []


def test_the_input_deadline_synthesises_and_approval_compiles_the_report():
    collecting = replace(FACTS, status="collecting", contributions=900)
    assert kinds(collecting, INPUT - timedelta(minutes=1)) == []
    assert kinds(collecting, INPUT) == [ActionKind.SYNTHESISE]
    synthesised = replace(collecting, status="synthesised", blocks=12, draft_blocks=2)
    assert kinds(synthesised, INPUT + timedelta(days=3)) == []
    decided = replace(synthesised, draft_blocks=0, approved_blocks=10)
    assert kinds(decided, INPUT + timedelta(days=3)) == [ActionKind.COMPILE_REPORT]
    all_rejected = replace(synthesised, draft_blocks=0, approved_blocks=0)
    assert kinds(all_rejected, INPUT + timedelta(days=3)) == []
    assert kinds(replace(decided, status="reported"), INPUT + timedelta(days=3)) == []


def test_waiting_mail_is_sent_when_nothing_else_sends():
    facts = replace(FACTS, status="collecting", outbox_waiting=3)
    assert kinds(facts, ANSWER + timedelta(days=2)) == [ActionKind.SEND_OUTBOX]
    inviting = replace(FACTS, uninvited=2, outbox_waiting=3)
    assert kinds(inviting, ANSWER - timedelta(days=20)) == [ActionKind.SEND_INVITATIONS]


def test_a_round_the_service_must_leave_alone():
    facts = replace(FACTS, uninvited=10, automation=AutomationSpec(enabled=False))
    assert kinds(facts, ANSWER) == []
    assert kinds(replace(FACTS, status="closed", uninvited=3), ANSWER) == []


def test_next_steps_name_the_coming_deadlines_in_order():
    now = ANSWER - timedelta(days=10)
    steps = next_steps(FACTS, now)
    assert [s.when for s in steps] == [
        ANSWER - timedelta(days=7),
        ANSWER - timedelta(days=2),
        ANSWER,
        INPUT,
    ]
    assert "sessies indelen" in steps[2].what
    assert "bouwstenen" in steps[3].what


def test_next_steps_after_synthesis_wait_on_staff():
    facts = replace(FACTS, status="synthesised", blocks=8, draft_blocks=3)
    (step,) = next_steps(facts, INPUT + timedelta(days=1))
    assert step.when is None
    assert "nog 3 van 8" in step.what
    assert next_steps(replace(facts, status="reported"), INPUT) == []


def test_input_reminders_before_the_input_deadline_once_the_round_is_scheduled():
    scheduled = replace(
        FACTS, status="scheduled", input_reminder_days_before=(7.0, 2.0), reminders_due=12
    )
    assert kinds(scheduled, INPUT - timedelta(days=6)) == [ActionKind.SEND_REMINDERS]
    assert ActionKind.SEND_REMINDERS not in kinds(scheduled, INPUT)
    assert kinds(replace(scheduled, reminders_due=0), INPUT - timedelta(days=6)) == []
    steps = [s.what for s in next_steps(scheduled, INPUT - timedelta(days=10))]
    assert steps[:2] == [
        "herinnering aan wie nog geen inbreng gaf (7 dagen voor de inbrengtermijn)",
        "herinnering aan wie nog geen inbreng gaf (2 dagen voor de inbrengtermijn)",
    ]
    assert steps[2].startswith("inbrengtermijn sluit")


def test_retention_counts_months_from_the_report_or_else_the_input_deadline():
    reported = datetime(2030, 5, 31, 12, 0, tzinfo=AMS)
    # The last day of a shorter month stands in for the 31st.
    assert retention_ends(reported, INPUT, 1) == datetime(2030, 6, 30, 12, 0, tzinfo=AMS)
    assert retention_ends(reported, INPUT, 24) == datetime(2032, 5, 31, 12, 0, tzinfo=AMS)
    assert retention_ends(None, INPUT, 12) == datetime(2031, 4, 30, 23, 59, tzinfo=AMS)


def test_a_round_past_its_retention_date_only_loses_its_personal_data():
    ends = datetime(2032, 5, 31, 12, 0, tzinfo=AMS)
    reported = replace(FACTS, status="reported", retention_ends=ends)
    assert kinds(reported, ends - timedelta(seconds=1)) == []
    assert kinds(reported, ends) == [ActionKind.APPLY_RETENTION]
    # Also for a closed round, a round the service otherwise leaves alone, and a round still
    # waiting for mail: the law does not wait.
    closed = replace(reported, status="closed", automation=AutomationSpec(enabled=False))
    assert kinds(replace(closed, outbox_waiting=3), ends) == [ActionKind.APPLY_RETENTION]
    assert kinds(replace(reported, personal_data_removed=True), ends) == []
    [step] = next_steps(reported, ends - timedelta(days=30))
    assert step.when == ends
    assert next_steps(replace(reported, personal_data_removed=True), ends) == []
