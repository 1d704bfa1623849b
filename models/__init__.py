"""SQLAlchemy models of consult; importing this package registers every table on Base.metadata."""

from models.account import Account, AccountSession, PasswordResetToken, Role, account_region
from models.audit import AuditEntry, AuditLogIsAppendOnly
from models.base import Base
from models.calendar_reply import CalendarReply, ReplyOutcome
from models.contribution import (
    BlockEvent,
    BlockStatus,
    BuildingBlock,
    Contribution,
    ContributionEmbedding,
    ContributionKind,
    QuotePermission,
    block_contribution,
)
from models.invitation import (
    AccessToken,
    Availability,
    DelegationAttempt,
    Invitation,
    InvitationStatus,
)
from models.mailing import MailingApproval
from models.outbox import OutboxKind, OutboxMessage, OutboxStatus, SuppressedAddress
from models.privacy import ErasedAddress, address_hash
from models.registry import (
    CoordinatorRole,
    Organisation,
    Person,
    Region,
    RegionCoordinator,
    RegistryUpload,
)
from models.round import (
    AttendeeStatus,
    CandidateSlot,
    ConsultationSession,
    Round,
    RoundStatus,
    SessionAttendee,
    SessionStatus,
)
from models.schedule import ScheduleProposal
from models.theme import Theme

__all__ = [
    "AccessToken",
    "Account",
    "AccountSession",
    "AttendeeStatus",
    "AuditEntry",
    "AuditLogIsAppendOnly",
    "Availability",
    "Base",
    "BlockEvent",
    "BlockStatus",
    "BuildingBlock",
    "CalendarReply",
    "CandidateSlot",
    "ConsultationSession",
    "Contribution",
    "ContributionEmbedding",
    "ContributionKind",
    "CoordinatorRole",
    "DelegationAttempt",
    "ErasedAddress",
    "Invitation",
    "InvitationStatus",
    "MailingApproval",
    "Organisation",
    "OutboxKind",
    "OutboxMessage",
    "OutboxStatus",
    "PasswordResetToken",
    "Person",
    "QuotePermission",
    "Region",
    "RegionCoordinator",
    "RegistryUpload",
    "ReplyOutcome",
    "Role",
    "Round",
    "RoundStatus",
    "ScheduleProposal",
    "SessionAttendee",
    "SessionStatus",
    "SuppressedAddress",
    "Theme",
    "account_region",
    "address_hash",
    "block_contribution",
]
