"""Human-written text: refused when it hides control characters, escaped wherever shown.

Two halves, both pure and safe inside the workflow sandbox:

- validators (`check_line`, `check_lines`) and the annotated types built on them
  (`SafeLine`, `SafeText`): a name, a region or a note that holds a C0/C1 control
  character, a bidirectional override or a lone surrogate is refused, naming the
  character and where it is. Only multi-line fields (notes, feedback, reasons) may hold
  line breaks and tabs.
- escapes (`escape_markdown`, `escape_terminal`): total functions, for text whose origin
  is not this module's validators (a platform's answer, an old record), so no text can
  add Markdown structure to a page or an escape sequence to a terminal.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator

BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
"""Marks and overrides that reorder how text is displayed (Trojan Source, CVE-2021-42574)."""
LINE_SEPARATORS = frozenset("\u2028\u2029")
"""Unicode's own line and paragraph separators (not control characters, but line breaks)."""
REPLACEMENT = "\ufffd"
"""What `escape_markdown` shows instead of a control character: visibly something."""


def is_control(char: str) -> bool:
    """Tell whether a character is a C0 or C1 control character (or DEL)."""
    code = ord(char)
    return code < 0x20 or 0x7F <= code <= 0x9F


def _unsafe(char: str) -> bool:
    return (
        is_control(char)
        or char in BIDI_CONTROLS
        or char in LINE_SEPARATORS
        or unicodedata.category(char) == "Cs"
    )


def _describe(char: str) -> str:
    code = f"U+{ord(char):04X}"
    if char in "\n\r" or char in LINE_SEPARATORS:
        return f"a line break ({code})"
    if char == "\t":
        return f"a tab ({code})"
    if char in BIDI_CONTROLS:
        return f"a bidirectional control character ({code})"
    if unicodedata.category(char) == "Cs":
        return f"a lone surrogate ({code})"
    return f"a control character ({code})"


def _refuse_unsafe(value: str, allowed: str) -> str:
    for position, char in enumerate(value):
        if char not in allowed and _unsafe(char):
            where = "" if len(value) == 1 else f" at position {position + 1}"
            kind = "this field is one line of text" if not allowed else "line breaks may stay"
            raise ValueError(f"contains {_describe(char)}{where}; remove it ({kind})")
    return value


def check_line(value: str) -> str:
    """Refuse a one-line text holding a line break, tab, control or bidi character.

    Raises:
        ValueError: Names the first such character and its position (1-based).
    """
    if not allowed_line(value):
        _refuse_unsafe(value, "")
    return value


def allowed_line(value: str) -> bool:
    """Tell whether ``value`` is acceptable one-line text (no character `check_line` refuses)."""
    return not any(_unsafe(char) for char in value)


def check_lines(value: str) -> str:
    """Refuse a multi-line text holding a control or bidi character (line breaks and tabs
    may stay); ``\\r\\n`` and a lone ``\\r`` become ``\\n``.

    Raises:
        ValueError: Names the first such character and its position (1-based).
    """
    normalised = value.replace("\r\n", "\n").replace("\r", "\n")
    return _refuse_unsafe(normalised, "\n\t")


SafeLine = Annotated[str, AfterValidator(check_line)]
"""One line of human-written text (bound its length with ``Field(max_length=...)``)."""
SafeText = Annotated[str, AfterValidator(check_lines)]
"""Multi-line human-written text: notes, feedback, reasons."""


# ------------------------------------------------------------------------ Markdown

_ALWAYS = frozenset("\\`*~[]<>|$")
"""Characters that start Markdown (CommonMark + GFM) inline structure wherever they are."""
_BLOCK_START = re.compile(r"^(?:#{1,6}|[-+]|\d{1,9}[.)])(?=\s|$)|^[-=\s]+$")
"""What makes the start of a line a block: a heading, a list item, a setext underline or a
thematic break (CommonMark requires the space after a marker)."""
_BREAKS = re.compile("\r\n|[\n\r\v\f\x1c\x1d\x1e\u2028\u2029]")


def _visible(text: str) -> str:
    """Replace controls, bidi characters and surrogates (not whitespace) with U+FFFD."""
    return "".join(
        REPLACEMENT
        if (_unsafe(c) and not c.isspace() and c not in LINE_SEPARATORS) or c == "\x85"
        else c
        for c in text
    )


def _escape_line(line: str) -> str:
    text = " ".join(line.split())
    out: list[str] = []
    last = len(text) - 1
    for i, char in enumerate(text):
        if char in _ALWAYS:
            out.append("\\" + char)
        elif char == "_":
            # An underscore between two letters or digits can neither open nor close
            # emphasis (CommonMark's flanking rules): snake_case stays readable.
            inner = 0 < i < last and text[i - 1].isalnum() and text[i + 1].isalnum()
            out.append(char if inner else "\\_")
        elif char == "&":
            # Only `&` followed by a name or `#` can start an entity such as `&#x202e;`.
            entity = i < last and (text[i + 1].isalnum() or text[i + 1] == "#")
            out.append("\\&" if entity else char)
        else:
            out.append(char)
    escaped = "".join(out)
    start = _BLOCK_START.match(escaped)
    if start is None:
        return escaped
    marker = start.group()
    if marker[-1:] in ".)":  # "1." or "1)": escape the punctuation, not the number
        return f"{marker[:-1]}\\{marker[-1]}{escaped[len(marker) :]}"
    return "\\" + escaped


def escape_markdown(text: object, *, multiline: bool = False) -> str:
    """Return text that Markdown renders as exactly that text, with no structure of its own.

    Characters that could start inline structure (emphasis, code, links, HTML, tables,
    strikethrough, math, entities) are backslash-escaped; so is one that would start a
    block at the start of the text. Runs of whitespace become one space, so the text never
    starts a line of its own; a control, bidi or surrogate character shows as U+FFFD.

    Args:
        text: Any value; it is shown as ``str(text)``.
        multiline: Keep line breaks, as ``<br>`` (inside a table cell or a paragraph);
            otherwise each line break is a space.
    """
    visible = _visible(str(text))
    if not multiline:
        return _escape_line(visible)
    lines = [_escape_line(line) for line in _BREAKS.split(visible.strip())]
    return "<br>".join(lines)


def markdown_code(text: object) -> str:
    """Return text for inside a Markdown code span: one line, no backtick, no control,
    and no '|' (which would split a table cell even inside the span)."""
    shown = _visible(str(text)).replace("`", "'").replace("|", "\u00a6")
    return " ".join(shown.split()) or "-"


# ------------------------------------------------------------------------ terminal


def _terminal_char(char: str, multiline: bool) -> str:
    if char == "\t" or (char == "\n" and multiline):
        return char
    if _unsafe(char):
        code = ord(char)
        return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
    return char


def escape_terminal(text: object, *, multiline: bool = False) -> str:
    """Return text that prints inert in a terminal: every control, bidi or surrogate
    character is shown as ``\\x1b`` / ``\\u202e`` instead of acting.

    An ANSI colour sequence, a carriage return that would overwrite the line, a bell or a
    right-to-left override inside an evidence link all print as visible escapes.

    Args:
        text: Any value; it is shown as ``str(text)``.
        multiline: Keep ``\\n`` (a block of lines); otherwise it shows as ``\\x0a``, so
            the text cannot add a line of its own.
    """
    return "".join(_terminal_char(char, multiline) for char in str(text))
