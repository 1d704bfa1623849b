"""Keeps the gettext catalogs in step with the code: `python -m consult.catalogs` extracts every
message, updates consult/locale/{nl,en}/LC_MESSAGES/<domain>.po and compiles the .mo files that
consult reads; `--check` changes nothing and exits 1 when a catalog is behind the code, a Dutch
translation is missing or a placeholder differs (CI runs it through tests/unit/test_catalogs.py).

Message ids are the English text, so the English catalog starts as a copy of the ids; write a
different English msgstr where the English wording should change without touching the code.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from consult.i18n import DOMAINS, LANGUAGES, LOCALE_DIR

ROOT = LOCALE_DIR.parent.parent
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "N_": None,
}
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
_JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trimmed": "true", "silent": "false"}


@dataclass(frozen=True)
class Source:
    directory: str
    pattern: str
    method: str


# Which files feed which domain. A file belongs to the domain of the most specific folder that
# holds it: the workplace's files are in the web's folders, Python files outside the other
# domains' folders are `messages`.
SOURCES: dict[str, tuple[Source, ...]] = {
    "pages": (
        Source("templates/web", "**.html", "jinja2"),
        Source("consult/web", "**.py", "python"),
    ),
    "mail": (
        Source("templates/email", "**.html", "jinja2"),
        Source("templates/email", "**.txt", "jinja2"),
        Source("consult/mail", "**.py", "python"),
    ),
    "report": (
        Source("templates/report", "**.html", "jinja2"),
        Source("templates/report", "**.md", "jinja2"),
        Source("consult/reports", "**.py", "python"),
    ),
    "workplace": (
        Source("templates/web/workplace", "**.html", "jinja2"),
        Source("consult/web/workplace", "**.py", "python"),
    ),
    "messages": (
        Source("consult", "**.py", "python"),
        Source("templates/privacy", "**.html", "jinja2"),
    ),
}


def owner(path: str) -> str:
    """The domain a file's words belong to."""
    holders = [
        (len(source.directory), domain)
        for domain, sources in SOURCES.items()
        for source in sources
        if path.startswith(source.directory + "/")
    ]
    return max(holders)[1]


def extract(domain: str) -> Catalog:
    template = _new_catalog(None, domain)
    for source in SOURCES[domain]:
        base = ROOT / source.directory
        if not base.exists():
            continue
        method_map = [(source.pattern, source.method)]
        options = {source.pattern: _JINJA_OPTIONS} if source.method == "jinja2" else {}
        for filename, lineno, message, comments, context in extract_from_dir(
            str(base), method_map, options, keywords=KEYWORDS, comment_tags=("Translators:",)
        ):
            path = f"{source.directory}/{filename}"
            if owner(path) != domain:
                continue
            if path == "consult/catalogs.py":
                continue
            template.add(
                message,
                None,
                [(path, lineno)],
                auto_comments=comments,
                context=context,
            )
    return template


def _new_catalog(language: str | None, domain: str) -> Catalog:
    return Catalog(
        locale=language,
        domain=domain,
        project="consult",
        version="1",
        copyright_holder="Commissie Werken in de Zorg",
        msgid_bugs_address="secretariaat",
        last_translator="consult",
        language_team=f"consult {language or ''}".strip(),
        fuzzy=False,
    )


def po_path(language: str, domain: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po"


def read_catalog(language: str, domain: str) -> Catalog:
    path = po_path(language, domain)
    if not path.exists():
        return _new_catalog(language, domain)
    with path.open("rb") as fp:
        return read_po(fp, locale=language, domain=domain)


def updated(language: str, domain: str, template: Catalog) -> Catalog:
    catalog = read_catalog(language, domain)
    catalog.update(template, no_fuzzy_matching=True)
    catalog.obsolete.clear()
    # Fixed header dates: a catalog is rewritten (and a check fails) only when a message changes.
    catalog.creation_date = catalog.revision_date = _EPOCH
    if language == "en":
        for message in catalog:
            if message.id and not _translated(message.string):
                message.string = message.id
    return catalog


def po_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, include_lineno=False, omit_header=False, sort_output=True)
    return buffer.getvalue()


def mo_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def _translated(string: object) -> bool:
    if isinstance(string, tuple | list):
        return all(bool(s) for s in string)
    return bool(string)


def problems(language: str, domain: str, catalog: Catalog) -> Iterable[str]:
    where = f"{language}/{domain}.po"
    for message in catalog:
        if not message.id:
            continue
        if message.fuzzy:
            yield f"{where}: fuzzy: {message.id!r}"
        if not _translated(message.string):
            yield f"{where}: no translation: {message.id!r}"
    for message, errors in catalog.check():
        for error in errors:
            yield f"{where}: {message.id!r}: {error}"


def run(check: bool) -> list[str]:
    """Brings every catalog up to date (or, with `check`, reports where it is not)."""
    found: list[str] = []
    for domain in DOMAINS:
        template = extract(domain)
        for language in LANGUAGES:
            catalog = updated(language, domain, template)
            found.extend(problems(language, domain, catalog))
            po, mo = po_bytes(catalog), mo_bytes(catalog)
            po_file = po_path(language, domain)
            mo_file = po_file.with_suffix(".mo")
            if check:
                if not po_file.exists() or po_file.read_bytes() != po:
                    found.append(f"{language}/{domain}.po is behind the code")
                if not mo_file.exists() or mo_file.read_bytes() != mo:
                    found.append(f"{language}/{domain}.mo is not compiled from its .po")
            else:
                po_file.parent.mkdir(parents=True, exist_ok=True)
                po_file.write_bytes(po)
                mo_file.write_bytes(mo)
    return found


def main(argv: list[str]) -> int:
    check = "--check" in argv
    found = run(check)
    for line in found:
        print(line, file=sys.stderr)
    if check and found:
        print("Run `uv run python -m consult.catalogs` and translate what is missing.")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
