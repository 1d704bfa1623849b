"""Words and dates as Dutch and English readers expect them.

Every user-facing word lives in the gettext catalogs under consult/locale, one domain per room:
`pages` (invitee pages), `mail`, `report`, `workplace` (the secretariat's and staff's pages) and
`messages` (everything else). Message ids are English; each has a Dutch and an English
translation, kept in step with the code by `python -m consult.catalogs`. Dutch is the default.
Code that speaks to one person (a web request, an email) passes its language explicitly; the
command line sets the process's language once (`set_language`). Dates and times are always
shown in Dutch local time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from gettext import GNUTranslations, NullTranslations
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"
DOMAINS = ("pages", "mail", "report", "workplace", "messages")
LOCALE_DIR = Path(__file__).parent / "locale"

Language = Literal["nl", "en"]

_current: ContextVar[str] = ContextVar("consult_language", default=DEFAULT_LANGUAGE)


def normalise(language: str | None) -> Language:
    """Our two languages; anything else (None, "de", "en-GB") reads as its nearest or Dutch."""
    return "en" if (language or "").lower().startswith("en") else "nl"


def translations(language: str | None) -> NullTranslations:
    """All domains of one language chained into one catalog, loaded once per process."""
    return _load(normalise(language))


@cache
def _load(language: Language) -> NullTranslations:
    chained: NullTranslations = NullTranslations()
    for domain in reversed(DOMAINS):
        path = LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.mo"
        if path.exists():
            with path.open("rb") as fp:
                catalog = GNUTranslations(fp)
            catalog.add_fallback(chained)
            chained = catalog
    return chained


def current_language() -> Language:
    return normalise(_current.get())


@contextmanager
def use_language(language: str | None) -> Iterator[None]:
    token = _current.set(normalise(language))
    try:
        yield
    finally:
        _current.reset(token)


def set_language(language: str | None) -> None:
    """For a process that speaks one language throughout (the command line)."""
    _current.set(normalise(language))


def gettext(message: str, language: str | None = None, /, **variables: Any) -> str:
    """`message` in `language` (default: the current one), with %(name)s filled from
    `variables`."""
    text = translations(language or _current.get()).gettext(message)
    return text % variables if variables else text


def ngettext(
    singular: str, plural: str, n: int, language: str | None = None, /, **variables: Any
) -> str:
    """One of two forms by `n`; `%(num)s` in the message is `n`."""
    catalog = translations(language or _current.get())
    return catalog.ngettext(singular, plural, n) % {"num": n, **variables}


def pgettext(context: str, message: str, language: str | None = None, /, **variables: Any) -> str:
    """`message` in a context, for one English word with two Dutch meanings."""
    text = translations(language or _current.get()).pgettext(context, message)
    return text % variables if variables else text


_ = gettext


def N_(message: str) -> str:
    """Marks a message for the catalogs where it is defined; it is translated where it is
    shown."""
    return message


AMSTERDAM = ZoneInfo("Europe/Amsterdam")

_DAYS = {
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MONTHS = {
    "nl": (
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}


def weekday_name(value: date, language: str | None = None) -> str:
    """The day of the week ("zaterdag", "Saturday") in `language` (default: the current one)."""
    return _DAYS[normalise(language or _current.get())][value.weekday()]


def format_date(value: datetime, language: str) -> str:
    lang = "en" if language == "en" else "nl"
    local = value.astimezone(AMSTERDAM)
    day, month = _DAYS[lang][local.weekday()], _MONTHS[lang][local.month - 1]
    return f"{day} {local.day} {month} {local.year}"


def format_datetime(value: datetime, language: str) -> str:
    local = value.astimezone(AMSTERDAM)
    joiner = "at" if language == "en" else "om"
    return f"{format_date(local, language)} {joiner} {local:%H:%M}"


def format_time_range(start: datetime, end: datetime, language: str) -> str:
    s, e = start.astimezone(AMSTERDAM), end.astimezone(AMSTERDAM)
    return f"{format_date(s, language)}, {s:%H:%M}\u2013{e:%H:%M}"


def format_list(items: Sequence[str], language: str) -> str:
    """The items joined as a reader expects them: "A, B en C" in Dutch, "A, B and C" in
    English."""
    # Imported here: only a few pages and emails list things.
    from babel.lists import format_list as babel_list

    return babel_list(list(items), locale="en" if language == "en" else "nl")
