"""Every word a user reads comes from the gettext catalogs, in Dutch and in English."""

from __future__ import annotations

import pytest

from consult import catalogs
from consult.i18n import DOMAINS, LANGUAGES, gettext, normalise, translations


def test_catalogs_are_up_to_date_and_complete_in_both_languages() -> None:
    # Extracts every message id from code and templates, as `python -m consult.catalogs` does,
    # and lists each one that lacks a Dutch or English translation, has a placeholder its
    # translation does not, or is missing from the compiled .mo files.
    assert catalogs.run(check=True) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_domain_is_read_through_one_catalog_per_language(language: str) -> None:
    # The domains are chained into one catalog per language; a message id used in two
    # domains with two different translations would silently show only one of them.
    for domain in DOMAINS:
        for message in catalogs.read_catalog(language, domain):
            if not message.id or message.context or message.pluralizable:
                continue
            assert gettext(message.id, language) == message.string, (domain, message.id)


def test_unknown_languages_read_as_dutch() -> None:
    assert normalise(None) == "nl"
    assert normalise("de") == "nl"
    assert normalise("en-GB") == "en"
    assert translations("fr") is translations("nl")
