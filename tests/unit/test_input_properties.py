"""Property-based: any contract or roster file is accepted within its bounds, or refused with
listed problems; never an exception of another kind, never a traceback.

Two kinds of generated input: the example files with any field replaced, removed or
added (values of every YAML type, hostile text, huge numbers, dates from year 1 to 9999),
and arbitrary text. Accepted contracts must respect every cap, hold no control or bidi
character, and survive the JSON round trip the workflow's data converter makes.
"""

from __future__ import annotations

import copy
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from onboarding import limits
from onboarding.contract import Contract
from onboarding.problems import InputFileError, load_contract, load_roster
from onboarding.text import allowed_line, check_lines
from tests.conftest import EXAMPLES

TODAY = date(2026, 12, 1)
CONTRACT: dict[str, Any] = yaml.safe_load((EXAMPLES / "contract.yaml").read_text("utf-8"))
ROSTER: dict[str, Any] = yaml.safe_load((EXAMPLES / "roster.yaml").read_text("utf-8"))
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TEXT = st.lists(
    st.one_of(
        st.sampled_from(["\n", "\x1b[31m", "\u202e", "\x00", "\x85", "*", "[x](y)", "`", "|"]),
        st.characters(codec="utf-8", exclude_categories=["Cs"]),
    ),
    max_size=30,
).map("".join)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**31), max_value=10**31),
    st.floats(allow_nan=True),
    TEXT,
    st.sampled_from(["yes", "no", "on", "true", "120", "2026-11-20", "eu-central"]),
    st.dates(),
    st.datetimes(),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _paths(inner, (*prefix, index))
    return found


def near(original: Any) -> st.SearchStrategy[Any]:
    """Values close to a valid one of the same kind: most pass, some just miss a bound."""
    if isinstance(original, bool):
        return st.booleans()
    if isinstance(original, int):
        return st.integers(min_value=-2, max_value=limits.SEATS_MAX + 2)
    if isinstance(original, date):
        return st.dates(min_value=date(1999, 12, 25), max_value=date(2026, 12, 5))
    if isinstance(original, str):
        edits = st.tuples(st.integers(0, len(original)), TEXT)
        return st.one_of(
            edits.map(lambda e: original[: e[0]] + e[1] + original[e[0] :]),
            st.integers(1, 4).map(lambda n: original * n),
            st.text("abcdefghij klmnop-_.@+()0123456789", max_size=40),
        )
    if isinstance(original, list) and original:
        return st.lists(st.sampled_from(original), min_size=0, max_size=25)
    return VALUES


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(base)
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        paths = _paths(data)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent: Any = data
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["near", "near", "replace", "remove", "add"]))
        if action == "near":
            parent[path[-1]] = draw(near(parent[path[-1]]))
        elif action == "replace":
            parent[path[-1]] = draw(VALUES)
        elif action == "remove":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(TEXT)] = draw(VALUES)
        else:
            parent.append(draw(VALUES))
    return data


def _write(text: str) -> Path:
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False, encoding="utf-8") as handle:
        handle.write(text)
    return Path(handle.name)


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _assert_refusal(error: InputFileError) -> None:
    assert error.problems
    for problem in error.problems:
        assert problem.path and problem.message
        assert str(problem).startswith(problem.path)


def _assert_within_bounds(contract: Contract) -> None:
    terms, contacts = contract.contract, contract.contacts
    assert 0 < terms.seats <= limits.SEATS_MAX and type(terms.seats) is int
    assert 0 < terms.api_rate_limit_per_minute <= limits.RATE_LIMIT_MAX
    assert 1 <= len(terms.features) <= limits.FEATURES_MAX
    assert 1 <= len(contacts.admins) <= limits.ADMINS_MAX
    assert 1 <= len(contacts.escalation) <= limits.ESCALATION_MAX
    for day in (
        terms.signed_on,
        contract.data_residency.approved_on,
        contract.security_questionnaire.completed_on,
    ):
        assert day is None or limits.EARLIEST_DATE <= day <= TODAY
        assert not isinstance(day, datetime)
    assert type(contract.security_questionnaire.required) is bool
    dumped = contract.model_dump(mode="json")
    for text in _strings(dumped):
        assert allowed_line(text), text
        assert len(text) <= limits.TENANT_NAME_MAX + limits.EMAIL_MAX
    # What the workflow's data converter does (validate_json), and what the demo does.
    assert Contract.model_validate_json(contract.model_dump_json()) == contract
    assert Contract.model_validate(dumped) == contract


def _load_contract_text(text: str) -> None:
    path = _write(text)
    try:
        contract = load_contract(path, today=TODAY)
    except InputFileError as error:
        _assert_refusal(error)
    else:
        _assert_within_bounds(contract)
    finally:
        path.unlink()


@SETTINGS
@given(mutated(CONTRACT))
def test_any_edited_contract_is_accepted_within_bounds_or_refused(data: dict[str, Any]) -> None:
    _load_contract_text(_dump(data))


@SETTINGS
@given(st.text(max_size=400))
@example("tenant: {id: a, name: b}\ntenant: {id: c}\n")
@example("a: !!python/object/apply:os.system [ls]\n")
@example("[" * 5000)
@example("a: &a [1]\nb: *a\n")
@example("\ufeff{}")
def test_any_text_is_a_contract_or_a_listed_refusal(text: str) -> None:
    _load_contract_text(text)


@SETTINGS
@given(mutated(ROSTER))
def test_any_edited_roster_is_accepted_or_refused_with_problems(data: dict[str, Any]) -> None:
    path = _write(_dump(data))
    try:
        roster = load_roster(path)
    except InputFileError as error:
        _assert_refusal(error)
    else:
        assert roster.people
        for person in roster.people:
            check_lines(person.email)
    finally:
        path.unlink()
