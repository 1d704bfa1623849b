"""What every composed email needs to know about the installation."""

from __future__ import annotations

from dataclasses import dataclass

from jinja2 import Environment

from consult.tokens import LinkSealer


@dataclass(frozen=True)
class MailContext:
    env: Environment
    base_url: str
    organiser_name: str
    organiser_email: str
    # Seals the tokens of the links in the emails composed with this context.
    sealer: LinkSealer

    @property
    def domain(self) -> str:
        return self.organiser_email.rpartition("@")[2]
