"""Turn YAML and pydantic failures into a list of problems a person can act on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from onboarding.contract import Contract
from onboarding.limits import CONTRACT_FILE_MAX_BYTES, ROSTER_FILE_MAX_BYTES
from onboarding.roster import Roster
from onboarding.yamlfile import YamlRefused, load_mapping

M = TypeVar("M", bound=BaseModel)

# What to do, per pydantic error type, when the message alone does not say it.
_FIXES = {
    "missing": "add it; PHASE-33 makes it mandatory before onboarding begins",
    "extra_forbidden": "remove it or check its spelling",
    "too_short": "add at least one entry",
    "string_pattern_mismatch": (
        "use 3-40 characters of a-z, 0-9 and '-', not starting or ending with '-'"
    ),
    "enum": "use one of the allowed values",
    "date_from_datetime_parsing": "write the date as YYYY-MM-DD",
    "date_parsing": "write the date as YYYY-MM-DD",
    "date_type": "write the date as YYYY-MM-DD",
    "greater_than": "use a positive number",
    "int_parsing": "write a whole number",
    "int_type": "write a whole number",
    "int_from_float": "write a whole number",
    "bool_parsing": "write true or false",
    "bool_type": "write true or false",
    "less_than_equal": "stay within the limit (docs/contract.md lists every limit)",
    "too_long": "list fewer (docs/contract.md lists every limit)",
    "string_too_long": "shorten it (docs/contract.md lists every limit)",
}
MAX_PROBLEMS = 50
"""Problems listed at once; a file with more gets one line saying how many were left out."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file."""

    path: str
    """Where, as a dotted field path such as ``contacts.admins.0.email``."""
    message: str
    fix: str = ""

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}"
        return f"{text} -> {self.fix}" if self.fix else text


class InputFileError(Exception):
    """An input file was refused; ``problems`` lists every reason at once."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        super().__init__(f"{source}: {len(problems)} problem(s)")
        self.source = source
        self.problems = problems


def problems_from(error: ValidationError) -> list[Problem]:
    """Return one problem per validation error (at most `MAX_PROBLEMS`, then a count)."""
    found = []
    errors = error.errors(include_url=False, include_input=False)
    for item in errors[:MAX_PROBLEMS]:
        path = ".".join(str(part)[:80] for part in item["loc"]) or "(file)"
        message = item["msg"]
        if message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "is missing"
        found.append(Problem(path, message, _FIXES.get(item["type"], "")))
    if len(errors) > MAX_PROBLEMS:
        left = len(errors) - MAX_PROBLEMS
        found.append(Problem("(file)", f"has {left} more problem(s) not listed", "fix these first"))
    return found


def _read_yaml(path: Path, max_bytes: int) -> dict[Any, Any]:
    try:
        return load_mapping(path, max_bytes)
    except YamlRefused as exc:
        raise InputFileError(str(path), [Problem(exc.where, exc.message, exc.fix)]) from None


def _load(model: type[M], path: Path, max_bytes: int, context: dict[str, Any] | None = None) -> M:
    data = _read_yaml(path, max_bytes)
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        raise InputFileError(str(path), problems_from(exc)) from None
    except RecursionError:
        raise InputFileError(
            str(path), [Problem("(file)", "nests too deeply to check", "check the indentation")]
        ) from None


def load_contract(path: Path, today: date | None = None) -> Contract:
    """Read and validate a contract file, or raise with every problem in it.

    The file is bounded (`limits.CONTRACT_FILE_MAX_BYTES`, depth, values) before it is
    parsed, duplicate keys are refused, and every field is capped (docs/contract.md).
    """
    return _load(Contract, path, CONTRACT_FILE_MAX_BYTES, {"today": today or date.today()})


def load_roster(path: Path) -> Roster:
    """Read and validate a roster file, or raise with every problem in it."""
    return _load(Roster, path, ROSTER_FILE_MAX_BYTES)
