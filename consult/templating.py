"""The one Jinja environment: autoescape for HTML, StrictUndefined, subjects inside templates."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context

from consult.i18n import normalise, translations
from consult.text import escape_markdown
from consult.tokens import LinkSealer


def make_environment(templates_dir: Path) -> Environment:
    env = Environment(
        loader=FileSystemLoader(templates_dir),
        autoescape=select_autoescape(["html", "htm", "xml"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    # {% trans %} blocks are one message however they are wrapped in the template.
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(  # type: ignore[attr-defined]
        _gettext, _ngettext, newstyle=True, pgettext=_pgettext
    )
    # Autoescape covers HTML only; Markdown output escapes what people wrote with |md.
    env.filters["md"] = escape_markdown
    return env


# Every template speaks the language in its context's `lang` (Dutch when it has none), so one
# environment serves a Dutch and an English request side by side.
@pass_context
def _gettext(context: Context, message: str) -> str:
    return translations(context.get("lang")).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return translations(context.get("lang")).ngettext(singular, plural, n)


@pass_context
def _pgettext(context: Context, ctx: str, message: str) -> str:
    return translations(context.get("lang")).pgettext(ctx, message)


@dataclass(frozen=True)
class MailContext:
    """What every composed email needs to know about the installation."""

    env: Environment
    base_url: str
    organiser_name: str
    organiser_email: str
    # Seals the tokens of the links in the emails composed with this context.
    sealer: LinkSealer

    @property
    def domain(self) -> str:
        return self.organiser_email.rpartition("@")[2]


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render_email(
    env: Environment, name: str, language: str, context: dict[str, Any]
) -> RenderedEmail:
    """Render templates/email/{name}.txt and .html in `language` (words from the `mail`
    catalog); the subject is the txt's block."""
    context = {**context, "lang": normalise(language)}
    text_template = env.get_template(f"email/{name}.txt")
    html_template = env.get_template(f"email/{name}.html")
    subject_block = text_template.blocks["subject"]
    subject = "".join(subject_block(text_template.new_context(context))).strip()
    # The subject block sits at the top of the .txt template; it belongs in the header only,
    # not glued to the first line of the plain-text body.
    body_context = text_template.new_context(context)
    body_context.blocks["subject"] = [_no_output]
    return RenderedEmail(
        subject=" ".join(subject.split()),
        text="".join(text_template.root_render_func(body_context)),
        html=html_template.render(context),
    )


def _no_output(context: Context) -> Iterator[str]:
    return iter(())
