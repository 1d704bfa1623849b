"""The one text rule for what comes in (clean_text) and Markdown escaping for what goes out."""

from __future__ import annotations

import re
from html import unescape

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from consult.text import clean_text, escape_markdown

MARKDOWN = MarkdownIt("commonmark")
# Text a person might paste, rich in what Markdown and HTML treat as markup.
TEXT = st.lists(
    st.sampled_from([*"ab1. \n\t#>*_`[]()<>!|~&;-+=\\/:\"'", "&amp;", "&#65;", "<script>"]),
    max_size=40,
).map("".join)


def _shown(markdown: str) -> str:
    """The text a reader sees once the Markdown is rendered (raw HTML allowed)."""
    html = MARKDOWN.render(markdown)
    return unescape(re.sub(r"<[^>]+>", "", html))


def test_clean_text_drops_controls_and_bidi_keeps_tab_and_newline_and_composes() -> None:
    assert clean_text("a\x00b\x07c\x1b\x7fd\te\r\nf\rg") == "abcd\te\nf\ng"
    assert clean_text("x\u202ey\u2066z\u2069") == "xyz"
    assert clean_text("Cafe\u0301") == "Café"


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_escaped_text_renders_as_exactly_that_text(text: str) -> None:
    # Only paragraphs come out (no headings, lists, quotes, code, links, emphasis or HTML),
    # and a reader sees the same characters, line breaks and runs of spaces aside.
    html = MARKDOWN.render(escape_markdown(text))
    assert set(re.findall(r"</?([a-z0-9]+)", html)) <= {"p", "br"}, html
    assert " ".join(_shown(escape_markdown(text)).split()) == " ".join(clean_text(text).split())
