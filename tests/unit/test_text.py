"""Human-written text: control and bidi characters refused, Markdown and terminal escapes total.

The Markdown properties parse the escaped text with a real CommonMark parser (markdown-it,
with GFM tables and strikethrough): whatever the text, it renders as one paragraph of
plain text equal to what was written, and inside a table row it stays in its one cell.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from pydantic import BaseModel, Field, ValidationError

from onboarding.text import (
    BIDI_CONTROLS,
    REPLACEMENT,
    SafeLine,
    SafeText,
    check_line,
    check_lines,
    escape_markdown,
    escape_terminal,
    markdown_code,
)

MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])

# Text made to hurt: Markdown syntax, HTML, entities, controls, bidi, separators.
HOSTILE = st.lists(
    st.one_of(
        st.sampled_from(list("\\`*_~[]()<>|$#+-=!&;:/.0123456789 \t\n\r")),
        st.sampled_from(["&amp;", "&#x202e;", "<br>", "```", "~~~", "    ", "1.", "- ", "> "]),
        st.sampled_from([*sorted(BIDI_CONTROLS), "\x1b", "\x00", "\x85", "\x9b", "\u2028"]),
        st.characters(codec="utf-8"),
        st.characters(),
    ),
    max_size=40,
).map("".join)


class Line(BaseModel):
    value: SafeLine = Field(max_length=50)


class Lines(BaseModel):
    value: SafeText = Field(max_length=50)


def _inline_children(tokens: list[Any]) -> list[Any]:
    children = []
    for token in tokens:
        children.extend(token.children or [])
    return children


def _shown(text: str) -> str:
    """What an escaped text must render as: visible characters, whitespace collapsed."""
    visible = "".join(
        REPLACEMENT
        if ((unicodedata.category(c) in ("Cc", "Cs") or c in BIDI_CONTROLS) and not c.isspace())
        or c == "\x85"
        else c
        for c in text
    )
    return " ".join(visible.split())


# ------------------------------------------------------------------ validators


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("eu-central\n# injected", "a line break (U+000A) at position 11"),
        ("Acme\x1b[31m", "a control character (U+001B) at position 5"),
        ("Acme\u202eevil", "a bidirectional control character (U+202E)"),
        ("Acme\u2066", "bidirectional"),
        ("a\u0085b", "control character (U+0085)"),
        ("a\tb", "a tab (U+0009)"),
        ("a\u2028b", "a line break (U+2028)"),
        ("\x00", "a control character (U+0000); remove it"),
    ],
)
def test_a_single_line_refuses_control_bidi_and_breaks(value: str, words: str) -> None:
    with pytest.raises(ValueError, match=r"contains ") as info:
        check_line(value)
    assert words in str(info.value)
    with pytest.raises(ValidationError):
        Line(value=value)


def test_multi_line_text_keeps_breaks_and_tabs_but_no_control() -> None:
    assert check_lines("first\r\nsecond\rthird\n\tfourth") == "first\nsecond\nthird\n\tfourth"
    assert Lines(value="a\nb").value == "a\nb"
    for bad in ("a\x1bb", "a\u202eb", "a\x7fb", "a\x9bb"):
        with pytest.raises(ValidationError, match="contains"):
            Lines(value=bad)


def test_ordinary_text_of_any_script_is_accepted() -> None:
    for value in ("Northwind Studios", "Zoë & Søren GmbH", "株式会社ノース", "عربي", "👩‍💻 team"):
        assert Line(value=value).value == value


@given(HOSTILE)
def test_a_validated_line_never_holds_what_the_escapes_would_change(text: str) -> None:
    try:
        value = check_line(text)
    except ValueError:
        return
    assert escape_terminal(value) == value


# ------------------------------------------------------------------ Markdown


@given(HOSTILE)
@example("**bold** [link](https://evil.example) <b>html</b> `code` ~~gone~~")
@example("# heading")
@example("1. list")
@example("    indented code")
@example("text\n\n# heading after a blank line")
@example("&#x202e; entity")
@example("trailing backslash\\")
@example("_under_ snake_case __init__")
@example("---")
@example("| a | b |")
def test_escaped_markdown_renders_as_exactly_the_text(text: str) -> None:
    escaped = escape_markdown(text)
    tokens = MD.parse(escaped)
    expected = _shown(text)
    if not expected:
        assert tokens == []
        return
    assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"]
    children = _inline_children(tokens)
    assert {c.type for c in children} <= {"text"}, escaped
    assert "".join(c.content for c in children) == expected


@given(HOSTILE)
def test_escaped_multiline_markdown_keeps_lines_as_breaks_only(text: str) -> None:
    escaped = escape_markdown(text, multiline=True)
    assert "\n" not in escaped and "\r" not in escaped
    children = _inline_children(MD.parse(escaped))
    assert {c.type for c in children} <= {"text", "html_inline"}
    assert {c.content for c in children if c.type == "html_inline"} <= {"<br>"}


@given(HOSTILE, HOSTILE)
def test_escaped_text_stays_in_its_table_cell(first: str, second: str) -> None:
    table = (
        "| a | b |\n|---|---|\n"
        f"| {escape_markdown(first, multiline=True)} | {escape_markdown(second)} |\n"
    )
    tokens = MD.parse(table)
    cells = [t for t in tokens if t.type == "td_open"]
    assert len(cells) == 2
    assert [t.type for t in tokens].count("tr_open") == 2


@given(HOSTILE)
def test_a_code_span_cannot_be_closed_or_broken(text: str) -> None:
    tokens = MD.parse(f"id `{markdown_code(text)}` end")
    children = _inline_children(tokens)
    assert [c.type for c in children] == ["text", "code_inline", "text"]
    row = MD.parse(f"| a | b |\n|---|---|\n| `{markdown_code(text)}` | x |\n")
    assert [t.type for t in row].count("td_open") == 2


def test_markdown_escaping_leaves_ordinary_text_readable() -> None:
    for text in (
        "eu-central",
        "ada.park@northwind.example",
        "Step 3 - Access & identity setup",
        "https://drive.example/rec/123?x=1",
        "api_access, voice_over",
    ):
        assert escape_markdown(text) == text


# ------------------------------------------------------------------ terminal

_ACTIVE = {chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]} | BIDI_CONTROLS | {"\u2028"}


@given(HOSTILE)
@example("\x1b[31mplatform sign-off recorded\x1b[0m")
@example("line\roverwritten")
def test_terminal_escaping_leaves_no_active_character(text: str) -> None:
    shown = escape_terminal(text)
    assert not (set(shown) & (_ACTIVE - {"\t"}))
    multi = escape_terminal(text, multiline=True)
    assert not (set(multi) & (_ACTIVE - {"\t", "\n"}))
    assert multi.count("\n") == text.count("\n")


def test_an_ansi_red_line_prints_inert() -> None:
    fake = "https://e.example/x\x1b[31m platform sign-off recorded\x1b[0m"
    assert escape_terminal(fake) == (
        "https://e.example/x\\x1b[31m platform sign-off recorded\\x1b[0m"
    )
    assert escape_terminal("a\nb") == "a\\x0ab"
    assert escape_terminal("a\u202eb") == "a\\u202eb"
    assert escape_terminal("Zoë\tok") == "Zoë\tok"
