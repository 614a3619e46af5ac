"""Turn YAML and pydantic failures into a list of problems a person can act on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from onboarding.contract import Contract
from onboarding.roster import Roster

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
    "bool_parsing": "write true or false",
}


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
    found = []
    for item in error.errors():
        path = ".".join(str(part) for part in item["loc"]) or "(file)"
        message = item["msg"]
        if message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "is missing"
        found.append(Problem(path, message, _FIXES.get(item["type"], "")))
    return found


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError(
            str(path), [Problem("(file)", "does not exist", "check the path")]
        ) from None
    except OSError as exc:
        raise InputFileError(
            str(path), [Problem("(file)", f"cannot be read: {exc.strerror}")]
        ) from None
    except UnicodeDecodeError:
        raise InputFileError(
            str(path), [Problem("(file)", "is not UTF-8 text", "save the file as UTF-8")]
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f"line {where.line + 1}" if where else "(file)"
        raise InputFileError(str(path), [Problem(line, "is not valid YAML", str(exc))]) from None
    if not isinstance(data, dict):
        raise InputFileError(str(path), [Problem("(file)", "is not a YAML mapping", "")])
    return data


def _load(model: type[M], path: Path, context: dict[str, Any] | None = None) -> M:
    data = _read_yaml(path)
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        raise InputFileError(str(path), problems_from(exc)) from None


def load_contract(path: Path, today: date | None = None) -> Contract:
    """Read and validate a contract file, or raise with every problem in it."""
    return _load(Contract, path, {"today": today or date.today()})


def load_roster(path: Path) -> Roster:
    """Read and validate a roster file, or raise with every problem in it."""
    return _load(Roster, path)
