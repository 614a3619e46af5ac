"""Markdown rendered from Jinja templates, for customer documents and review reports."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
"""Characters that would turn customer text into Markdown markup."""


def markdown_text(value: object) -> str:
    """Return a value as inline Markdown text: markup characters escaped, one line."""
    text = " ".join(str(value).split())
    return INLINE_SPECIAL.sub(r"\\\1", text)


def markdown_environment(package: str, **filters: Callable[..., Any]) -> Environment:
    """A Jinja environment for the package's `templates/`, with the `md` filter and more.

    Autoescape is off because the output is Markdown, not HTML: templates pass customer
    text through `md`. Undefined names fail loudly rather than render as empty text.
    """
    environment = Environment(
        loader=PackageLoader(package, "templates"),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["md"] = markdown_text
    environment.filters.update(filters)
    return environment
