"""Structural accessibility checks of a page's HTML (the WCAG 2.1 AA basics a parser can see):
a language, a skip link to the main content, one h1, a label for every field, radios and
checkboxes grouped in fieldsets with legends, buttons with text, unique ids, and in-page links
(such as the error summary's) that lead somewhere."""

from __future__ import annotations

from html.parser import HTMLParser

UNLABELLED_INPUTS = {"hidden", "submit", "button", "reset", "image"}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lang: str | None = None
        self.ids: list[str] = []
        self.label_for: set[str] = set()
        self.controls: list[tuple[str, str | None]] = []  # (tag/type, id)
        self.ungrouped: list[str] = []
        self.fieldsets: list[bool] = []  # per open fieldset: has a legend
        self.legend_missing = 0
        self.links: list[str] = []
        self.h1 = 0
        self.buttons: list[str] = []
        self._button_text: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(str(a["id"]))
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "label" and a.get("for"):
            self.label_for.add(str(a["for"]))
        elif tag == "a" and a.get("href"):
            self.links.append(str(a["href"]))
        elif tag == "h1":
            self.h1 += 1
        elif tag == "fieldset":
            self.fieldsets.append(False)
        elif tag == "legend" and self.fieldsets:
            self.fieldsets[-1] = True
        elif tag == "button":
            self._button_text = [a.get("aria-label") or ""]
        elif tag in ("input", "select", "textarea"):
            kind = a.get("type", "text") if tag == "input" else tag
            if kind in UNLABELLED_INPUTS:
                return
            self.controls.append((str(kind), a.get("id")))
            if kind in ("radio", "checkbox") and not (self.fieldsets and self.fieldsets[-1]):
                self.ungrouped.append(str(a.get("id")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "fieldset" and self.fieldsets:
            if not self.fieldsets.pop():
                self.legend_missing += 1
        elif tag == "button" and self._button_text is not None:
            self.buttons.append("".join(self._button_text).strip())
            self._button_text = None

    def handle_data(self, data: str) -> None:
        if self._button_text is not None:
            self._button_text.append(data)


def problems(html: str) -> list[str]:
    """Everything wrong with the page; an empty list means it passes."""
    c = _Collector()
    c.feed(html)
    found = []
    if c.lang not in ("nl", "en"):
        found.append(f"html lang is {c.lang!r}")
    if not c.links or c.links[0] != "#main" or "main" not in c.ids:
        found.append("no skip link to #main as the first link")
    if c.h1 != 1:
        found.append(f"{c.h1} h1 elements")
    for kind, control_id in c.controls:
        if not control_id or control_id not in c.label_for:
            found.append(f"{kind} #{control_id} has no label")
    if c.ungrouped:
        found.append(f"radios/checkboxes outside a fieldset with legend: {c.ungrouped}")
    if c.legend_missing:
        found.append(f"{c.legend_missing} fieldsets without legend")
    duplicates = {i for i in c.ids if c.ids.count(i) > 1}
    if duplicates:
        found.append(f"duplicate ids {sorted(duplicates)}")
    for href in c.links:
        if href.startswith("#") and href[1:] not in c.ids:
            found.append(f"link to missing #{href[1:]}")
    if any(not text for text in c.buttons):
        found.append("a button without text")
    return found
