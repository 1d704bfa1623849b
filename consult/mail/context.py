"""What every composed email needs to know about the installation."""

from __future__ import annotations

from dataclasses import dataclass

from jinja2 import Environment


@dataclass(frozen=True)
class MailContext:
    env: Environment
    base_url: str
    organiser_name: str
    organiser_email: str

    @property
    def domain(self) -> str:
        return self.organiser_email.rpartition("@")[2]
