"""Read a YAML input file defensively: bounded before parsing, strict while parsing.

- The file is read up to its byte cap (a larger one, or /dev/zero, is refused unread).
- The event stream is walked first, without building anything: nesting deeper than
  `YAML_MAX_DEPTH`, more than `YAML_MAX_NODES` nodes, anchors and aliases (the
  "billion laughs") and more than one document are refused before any object exists.
- Then it is built with a loader that refuses duplicate keys (naming the key and its
  line) and reads only ``true``/``false`` as booleans (YAML 1.2), so ``yes``, ``no``,
  ``on`` and ``off`` stay text and a strict model refuses them where a boolean belongs.

Every failure, a parser bug or a RecursionError included, is a `YamlRefused` with the
place (``line N`` or ``(file)``), what is wrong and what to do.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node

from onboarding.limits import YAML_MAX_DEPTH, YAML_MAX_NODES


class YamlRefused(Exception):
    """The file cannot be read as the YAML mapping it should be."""

    def __init__(self, where: str, message: str, fix: str = "") -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message
        self.fix = fix


def _line(mark: Any) -> str:
    return f"line {mark.line + 1}" if mark is not None else "(file)"


_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser when PyYAML was built with it (about 10x faster), else PyYAML's own."""


class StrictLoader(_SafeLoader):  # type: ignore[misc]
    """SafeLoader without duplicate keys and with YAML 1.2 booleans."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:
                continue  # an unhashable key: SafeLoader itself refuses it next
            if first is not None:
                raise YamlRefused(
                    _line(key_node.start_mark),
                    f"the key {str(key)[:80]!r} appears twice in one mapping "
                    f"(first at {_line(first.start_mark)})",
                    "keep one of them; YAML would silently keep only the last",
                )
            seen[key] = key_node
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


def _refuse_tag(loader: StrictLoader, node: Node) -> Any:
    raise YamlRefused(
        _line(node.start_mark),
        f"uses the YAML tag {node.tag.rsplit(':', 1)[-1]!r}",
        "write plain text, numbers, dates, true/false, lists and mappings only",
    )


for _tag in ("binary", "set", "omap", "pairs"):
    StrictLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _refuse_tag)

StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def read_text(path: Path, max_bytes: int) -> str:
    """Read a UTF-8 file of at most ``max_bytes`` (refusing a larger one unread)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise YamlRefused("(file)", "does not exist", "check the path") from None
    except OSError as exc:
        raise YamlRefused("(file)", f"cannot be read: {exc.strerror}") from None
    if len(data) > max_bytes:
        raise YamlRefused(
            "(file)",
            f"is larger than {max_bytes // 1024} KiB",
            "check that this is the right file; a real one is a few KiB",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise YamlRefused("(file)", "is not UTF-8 text", "save the file as UTF-8") from None


def flow_depth(text: str, limit: int) -> int:
    """Return how deep ``[``/``{`` nest outside quotes and comments, stopping past ``limit``.

    A linear look at the raw text, for when PyYAML has no libyaml: its pure-Python scanner
    takes quadratic time on deep flow nesting, so that must be refused before it runs.
    """
    depth = deepest = 0
    quote = ""
    at_space = True
    i = 0
    while i < len(text) and deepest <= limit:
        char = text[i]
        if quote:
            if char == "\\" and quote == '"':
                i += 1
            elif char == quote:
                if quote == "'" and text[i + 1 : i + 2] == "'":
                    i += 1
                else:
                    quote = ""
        elif char in "\"'" and at_space:
            quote = char
        elif char == "#" and at_space:
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
            continue
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth = max(0, depth - 1)
        at_space = char.isspace() or char in "[{,:"
        i += 1
    return deepest


def _check_shape(text: str) -> None:
    """Walk the event stream: depth, node count, aliases and documents, before building."""
    if _SafeLoader is yaml.SafeLoader and flow_depth(text, YAML_MAX_DEPTH) > YAML_MAX_DEPTH:
        raise YamlRefused(
            "(file)",
            f"nests lists and mappings more than {YAML_MAX_DEPTH} levels deep",
            "check the brackets; a contract needs 4 levels",
        )
    depth = nodes = documents = 0
    for event in yaml.parse(text, Loader=StrictLoader):
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise YamlRefused(
                    _line(event.start_mark),
                    "starts a second YAML document",
                    "keep one document per file (remove the '---' line)",
                )
        elif isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise YamlRefused(
                _line(event.start_mark),
                "uses a YAML anchor or alias (&name / *name)",
                "write each value out in full",
            )
        if isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            depth += 1
            if depth > YAML_MAX_DEPTH:
                raise YamlRefused(
                    _line(event.start_mark),
                    f"nests lists and mappings more than {YAML_MAX_DEPTH} levels deep",
                    "check the indentation; a contract needs 4 levels",
                )
        elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            depth -= 1
        if isinstance(event, yaml.NodeEvent):
            nodes += 1
            if nodes > YAML_MAX_NODES:
                raise YamlRefused(
                    _line(event.start_mark),
                    f"holds more than {YAML_MAX_NODES} values",
                    "check that this is the right file",
                )


def parse_mapping(text: str) -> dict[Any, Any]:
    """Parse one YAML document that must be a mapping.

    Raises:
        YamlRefused: For any reason, with where, what and what to do.
    """
    try:
        _check_shape(text)
        data = yaml.load(text, Loader=StrictLoader)
    except YamlRefused:
        raise
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        raise YamlRefused(_line(where), "is not valid YAML", _explain(exc, text)) from None
    except RecursionError:
        raise YamlRefused("(file)", "nests too deeply to read", "check the indentation") from None
    except Exception as exc:  # a parser failure of any other kind is a refusal, not a crash
        raise YamlRefused(
            "(file)", f"cannot be read as YAML ({type(exc).__name__})", "check the file"
        ) from None
    if not isinstance(data, dict):
        raise YamlRefused("(file)", "is not a YAML mapping")
    return data


def _explain(exc: yaml.YAMLError, text: str) -> str:
    """The parser's explanation with the lines it points at quoted (libyaml quotes none).

    Built from the error's marks, not by parsing again: PyYAML's pure-Python scanner is
    quadratic on deep flow nesting, so a second parse would be a way to hang the CLI.
    """
    lines = text.splitlines()
    parts: list[str] = []
    for what, mark in (
        (getattr(exc, "context", None), getattr(exc, "context_mark", None)),
        (getattr(exc, "problem", None), getattr(exc, "problem_mark", None)),
    ):
        if not what:
            continue
        if mark is None:
            parts.append(str(what))
            continue
        line = lines[mark.line] if 0 <= mark.line < len(lines) else ""
        quoted = line[max(0, mark.column - 60) : mark.column + 60].strip()
        where = f"line {mark.line + 1}, column {mark.column + 1}"
        parts.append(f"{what} at {where}" + (f": {quoted}" if quoted else ""))
    return "; ".join(parts)[:500] or str(exc)[:500]


def load_mapping(path: Path, max_bytes: int) -> dict[Any, Any]:
    """Read and parse a YAML mapping file, bounded by ``max_bytes``.

    Raises:
        YamlRefused: The file is missing, too large, not UTF-8 or not a valid mapping.
    """
    return parse_mapping(read_text(path, max_bytes))
