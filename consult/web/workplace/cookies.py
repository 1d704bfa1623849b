"""The workplace's cookies: all HttpOnly, SameSite=Lax, limited to /werkplek, and Secure unless
`[workplace] cookie_secure` is switched off (a test over plain HTTP)."""

from __future__ import annotations

from typing import Final

from fastapi.responses import Response

from consult.settings import WorkplaceSettings
from consult.web.workplace.roles import PREFIX

# The browser's session; it ends when the browser closes, and the server ends it sooner.
SESSION_COOKIE: Final = "consult_werkplek"
# Before signing in: a random value the anonymous forms' CSRF tokens are bound to.
FORM_COOKIE: Final = "consult_werkplek_formulier"
LANGUAGE_COOKIE: Final = "consult_werkplek_taal"
_YEAR = 365 * 24 * 3600


def _set(
    response: Response, name: str, value: str, settings: WorkplaceSettings, max_age: int | None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PREFIX,
        secure=settings.cookie_secure,
        httponly=True,
        samesite="lax",
    )


def set_session(response: Response, token: str, settings: WorkplaceSettings) -> None:
    _set(response, SESSION_COOKIE, token, settings, None)


def clear_session(response: Response, settings: WorkplaceSettings) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path=PREFIX, secure=settings.cookie_secure, httponly=True, samesite="lax"
    )


def set_form(response: Response, value: str, settings: WorkplaceSettings) -> None:
    _set(response, FORM_COOKIE, value, settings, None)


def set_language(response: Response, language: str, settings: WorkplaceSettings) -> None:
    _set(response, LANGUAGE_COOKIE, language, settings, _YEAR)
