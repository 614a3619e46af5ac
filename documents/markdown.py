"""Markdown rendered from Jinja templates: customer documents, review reports, evidence packs.

Escaping is the default, not a filter to remember: every ``{{ expression }}`` is passed
through `onboarding.text.escape_markdown` when it is printed, unless a filter already
made it `Markdown` (escaped text, a code span, a chart). A template that forgets a
filter still cannot let customer text add a heading, a link, a table cell or HTML.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from onboarding.text import escape_markdown, markdown_code


class Markdown(str):
    """Text that is already Markdown: printed as it is."""

    __slots__ = ()


def markdown_text(value: object) -> Markdown:
    """Return a value as inline Markdown text: markup characters escaped, one line."""
    return Markdown(escape_markdown(value))


def markdown_lines(value: object) -> Markdown:
    """Return a value as Markdown text whose line breaks stay (as ``<br>``)."""
    return Markdown(escape_markdown(value, multiline=True))


def code(value: object) -> Markdown:
    """Return a value for inside a code span (between backticks in the template)."""
    return Markdown(markdown_code(value))


def joined(values: Iterable[object], separator: str = ", ") -> Markdown:
    """Return values escaped one by one and joined (a separator of plain punctuation)."""
    return Markdown(
        escape_markdown(separator).join(
            v if isinstance(v, Markdown) else escape_markdown(v) for v in values
        )
    )


def raw(value: object) -> Markdown:
    """Mark text the template built itself (a chart, a quote block) as Markdown."""
    return Markdown(str(value))


def _finalize(value: Any) -> Any:
    return value if isinstance(value, Markdown) else escape_markdown(value)


def markdown_environment(
    package: str, *, folder: str = "templates", **filters: Callable[..., Any]
) -> Environment:
    """A Jinja environment for the package's templates that escapes every expression.

    Filters: ``md`` (escaped inline text), ``lines`` (line breaks kept), ``code``
    (inside backticks), ``joined`` (a list, each item escaped) and ``raw`` (already
    Markdown), plus ``filters``. A filter whose output is already Markdown must return
    `Markdown`, or it is escaped once more. Undefined names fail loudly.
    """
    environment = Environment(
        loader=PackageLoader(package, folder),
        undefined=StrictUndefined,
        autoescape=False,  # Markdown, not HTML: `_finalize` escapes for Markdown
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(
        md=markdown_text, lines=markdown_lines, code=code, joined=joined, raw=raw
    )
    environment.filters.update(filters)
    return environment
