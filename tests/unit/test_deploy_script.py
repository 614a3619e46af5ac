"""deploy/register-search-attributes.sh registers exactly the search attributes the code sets.

The script hard-codes its list so it runs where the project is not installed; these tests
read the script's text and fail when the list drifts from `onboarding.search.CLI_TYPES`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from onboarding import search

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "register-search-attributes.sh"

# The types `temporal operator search-attribute create --type` accepts.
CLI_TYPE_NAMES = {"Text", "Keyword", "Int", "Double", "Bool", "Datetime", "KeywordList"}


def _script_attributes() -> list[tuple[str, str]]:
    """Return the NAME:TYPE entries of the script's SEARCH_ATTRIBUTES=( ... ) array, in order."""
    text = SCRIPT.read_text(encoding="utf-8")
    arrays = re.findall(r"^SEARCH_ATTRIBUTES=\((.*?)^\)", text, flags=re.MULTILINE | re.DOTALL)
    assert len(arrays) == 1, "the script must define SEARCH_ATTRIBUTES=( ... ) exactly once"
    entries: list[tuple[str, str]] = []
    for line in arrays[0].splitlines():
        item = line.split("#", 1)[0].strip()
        if not item:
            continue
        match = re.fullmatch(r"([A-Za-z][A-Za-z0-9_]*):([A-Za-z]+)", item)
        assert match, f"not a NAME:TYPE entry: {item!r}"
        entries.append((match[1], match[2]))
    return entries


def test_script_registers_exactly_the_attributes_in_cli_types() -> None:
    expected = {key.name: cli_type for key, cli_type in search.CLI_TYPES.items()}
    entries = _script_attributes()
    names = [name for name, _ in entries]
    assert len(names) == len(set(names)), f"an attribute is listed twice: {names}"
    assert dict(entries) == expected


def test_cli_types_cover_every_attribute_with_a_type_the_cli_accepts() -> None:
    # The script is checked against CLI_TYPES; CLI_TYPES in turn must cover search.ALL.
    assert {key.name for key in search.ALL} == {key.name for key in search.CLI_TYPES}
    assert set(search.CLI_TYPES.values()) <= CLI_TYPE_NAMES


def test_script_is_valid_bash() -> None:
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    result = subprocess.run([bash, "-n", str(SCRIPT)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
