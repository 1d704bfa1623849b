"""What the service does for a round by itself: the `[automation]` table of a round spec.

Every switch defaults to on, so a round launched without the table runs through on its own when
`consult serve` runs. The deadlines themselves and the reminder moments stay where they were in
the spec (answer_deadline, input_deadline, reminder_days_before).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class AutomationSpec(BaseModel):
    # A misspelt switch must not silently leave the default in force.
    model_config = ConfigDict(extra="forbid")

    # False: the service leaves this round alone; the secretariat runs every step by command.
    enabled: bool = True
    # Send the invitations as soon as the round is launched (and any that are still missing).
    send_invitations: bool = True
    # Remind invitees who have not answered at the spec's reminder_days_before.
    send_reminders: bool = True
    # When the answer deadline passes: place accepted invitees, send calendar invitations.
    schedule_after_answer_deadline: bool = True
    # An answer that changes after scheduling places (or re-places) people and updates calendars.
    reschedule_on_change: bool = True
    # Ask the attendees of a session for their lessons learned, this many hours after it ended.
    request_lessons: bool = True
    lessons_request_hours_after: float = Field(default=1.0, ge=0)
    # When the input deadline passes: group the contributions into building blocks.
    synthesise_after_input_deadline: bool = True
    # When staff have approved every block of the round: write the report.
    report_when_approved: bool = True
    report_language: Literal["nl", "en"] = "nl"
