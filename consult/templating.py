"""The one Jinja environment: autoescape for HTML, StrictUndefined, subjects inside templates."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape


def make_environment(templates_dir: Path) -> Environment:
    return Environment(
        loader=FileSystemLoader(templates_dir),
        autoescape=select_autoescape(["html", "htm", "xml"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render_email(
    env: Environment, name: str, language: str, context: dict[str, Any]
) -> RenderedEmail:
    """Render templates/email/{name}.{language}.txt and .html; the subject is the txt's block."""
    lang = language if language in ("nl", "en") else "nl"
    text_template = env.get_template(f"email/{name}.{lang}.txt")
    html_template = env.get_template(f"email/{name}.{lang}.html")
    subject_block = text_template.blocks["subject"]
    subject = "".join(subject_block(text_template.new_context(context))).strip()
    return RenderedEmail(
        subject=" ".join(subject.split()),
        text=text_template.render(context),
        html=html_template.render(context),
    )
