"""The workplace roles as people read them."""

from __future__ import annotations

from consult.i18n import pgettext
from models import Role


def role_label(role: Role) -> str:
    """The role's name in the current language."""
    labels = {
        Role.BEHEERDER: pgettext("role", "administrator"),
        Role.SECRETARIAAT: pgettext("role", "secretariat"),
        Role.STAF: pgettext("role", "staff"),
        Role.REGIOCOORDINATOR: pgettext("role", "regional coordinator"),
    }
    return labels[role]
