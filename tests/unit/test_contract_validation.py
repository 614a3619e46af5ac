"""PHASE-33 pre-onboarding requirements: every missing item is refused with its own problem."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from onboarding.contract import SlaTier
from onboarding.problems import InputFileError, Problem, load_contract
from tests.conftest import EXAMPLES

TODAY = date(2026, 12, 1)
"""A fixed "today", after every date in examples/contract.yaml."""

Data = dict[str, Any]


def example() -> Data:
    data: Data = yaml.safe_load((EXAMPLES / "contract.yaml").read_text(encoding="utf-8"))
    return data


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "contract.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def refused(path: Path) -> list[Problem]:
    with pytest.raises(InputFileError) as info:
        load_contract(path, today=TODAY)
    assert info.value.source == str(path)
    return info.value.problems


def problems_after(tmp_path: Path, mutate: Callable[[Data], object]) -> list[Problem]:
    data = example()
    mutate(data)
    return refused(write(tmp_path, data))


# ------------------------------------------------------------------ the valid contract


def test_example_contract_loads() -> None:
    contract = load_contract(EXAMPLES / "contract.yaml", today=TODAY)

    assert contract.tenant.id == "northwind-studios"
    assert contract.workflow_id == "onboarding-northwind-studios"
    assert contract.contract.sla_tier is SlaTier.ENTERPRISE
    assert contract.contract.seats == 120
    assert contract.contract.features == ["subtitles", "dubbing", "glossary", "sso", "api_access"]
    assert contract.contract.signed_on == date(2026, 11, 20)
    assert contract.data_residency.region == "eu-central"
    assert [a.email for a in contract.contacts.admins] == ["ada.park@northwind.example"]
    assert [e.email for e in contract.contacts.escalation] == ["sam.ortiz@northwind.example"]
    assert contract.security_questionnaire.required is True


def test_example_contract_loads_with_the_real_clock() -> None:
    """What `onboard start` does: no explicit today. The example's dates are in the past."""
    assert load_contract(EXAMPLES / "contract.yaml").tenant.id == "northwind-studios"


def test_contract_signed_today_is_accepted(tmp_path: Path) -> None:
    data = example()
    data["contract"]["signed_on"] = TODAY
    assert load_contract(write(tmp_path, data), today=TODAY).contract.signed_on == TODAY


def test_questionnaire_not_required_needs_no_completion(tmp_path: Path) -> None:
    data = example()
    data["security_questionnaire"] = {"required": False}
    contract = load_contract(write(tmp_path, data), today=TODAY)
    assert contract.security_questionnaire.completed_on is None


def test_emails_are_normalised_so_admin_lookup_ignores_case(tmp_path: Path) -> None:
    data = example()
    data["contacts"]["admins"][0]["email"] = "  Ada.Park@Northwind.EXAMPLE "
    contract = load_contract(write(tmp_path, data), today=TODAY)
    assert contract.contacts.admins[0].email == "ada.park@northwind.example"
    assert contract.is_customer_admin("ADA.PARK@northwind.example")
    assert not contract.is_customer_admin("sam.ortiz@northwind.example")


# --------------------------------------------------------- each requirement on its own


def _set(dotted: str, value: object) -> Callable[[Data], None]:
    def mutate(data: Data) -> None:
        *parents, last = dotted.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        target[last] = value

    return mutate


def _drop(dotted: str) -> Callable[[Data], None]:
    def mutate(data: Data) -> None:
        *parents, last = dotted.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        del target[last]

    return mutate


def _duplicate_admin(data: Data) -> None:
    admin = data["contacts"]["admins"][0]
    data["contacts"]["admins"].append({"name": "Ada Again", "email": admin["email"].upper()})


MISSING = "is missing"
MANDATORY = "PHASE-33 makes it mandatory"
ONE_ENTRY = "add at least one entry"
ONE_CHAR = "at least 1 character"

# (id, change to the example, expected field path, words the message must hold,
#  words the fix must hold)
SINGLE_PROBLEMS: list[tuple[str, Callable[[Data], object], str, str, str]] = [
    # signed contract / SLA
    ("no contract section", _drop("contract"), "contract", MISSING, MANDATORY),
    ("no contract reference", _drop("contract.reference"), "contract.reference", MISSING, ""),
    (
        "empty contract reference",
        _set("contract.reference", ""),
        "contract.reference",
        ONE_CHAR,
        "",
    ),
    ("no signed_on", _drop("contract.signed_on"), "contract.signed_on", MISSING, MANDATORY),
    (
        "signed tomorrow",
        _set("contract.signed_on", TODAY + timedelta(days=1)),
        "contract.signed_on",
        "is in the future",
        "",
    ),
    ("signed_on not a date", _set("contract.signed_on", "soon"), "contract.signed_on", "", "YYYY"),
    (
        "residency approved tomorrow",
        _set("data_residency.approved_on", TODAY + timedelta(days=1)),
        "data_residency.approved_on",
        "the region must be approved before onboarding",
        "",
    ),
    (
        "questionnaire completed tomorrow",
        _set("security_questionnaire.completed_on", TODAY + timedelta(days=1)),
        "security_questionnaire.completed_on",
        "the questionnaire must be completed before onboarding",
        "",
    ),
    # approved data residency region
    ("no data residency", _drop("data_residency"), "data_residency", MISSING, MANDATORY),
    ("no region", _drop("data_residency.region"), "data_residency.region", MISSING, MANDATORY),
    ("empty region", _set("data_residency.region", "  "), "data_residency.region", ONE_CHAR, ""),
    (
        "no approver",
        _drop("data_residency.approved_by"),
        "data_residency.approved_by",
        MISSING,
        MANDATORY,
    ),
    (
        "approver not an e-mail",
        _set("data_residency.approved_by", "the DPO"),
        "data_residency.approved_by",
        "is not an e-mail address",
        "",
    ),
    (
        "no approval date",
        _drop("data_residency.approved_on"),
        "data_residency.approved_on",
        MISSING,
        MANDATORY,
    ),
    # named customer admin contacts
    ("no contacts section", _drop("contacts"), "contacts", MISSING, MANDATORY),
    ("admins missing", _drop("contacts.admins"), "contacts.admins", MISSING, MANDATORY),
    ("admins empty", _set("contacts.admins", []), "contacts.admins", "at least 1 item", ONE_ENTRY),
    (
        "admin e-mail twice (any case)",
        _duplicate_admin,
        "contacts.admins",
        "lists the same e-mail twice",
        "",
    ),
    (
        "admin without e-mail",
        _drop("contacts.admins.0.email"),
        "contacts.admins.0.email",
        MISSING,
        MANDATORY,
    ),
    # support escalation contacts
    ("escalation missing", _drop("contacts.escalation"), "contacts.escalation", MISSING, ""),
    (
        "escalation empty",
        _set("contacts.escalation", []),
        "contacts.escalation",
        "at least 1 item",
        ONE_ENTRY,
    ),
    # security questionnaire (if required)
    (
        "no questionnaire section",
        _drop("security_questionnaire"),
        "security_questionnaire",
        MISSING,
        MANDATORY,
    ),
    (
        "questionnaire not completed",
        _drop("security_questionnaire.completed_on"),
        "security_questionnaire",
        "is required but not complete; add completed_on",
        "",
    ),
    (
        "questionnaire not reviewed",
        _drop("security_questionnaire.reviewed_by"),
        "security_questionnaire",
        "reviewed_by",
        "",
    ),
    # tenant
    ("tenant id upper case", _set("tenant.id", "Northwind"), "tenant.id", "pattern", "a-z, 0-9"),
    ("tenant id underscore", _set("tenant.id", "north_wind"), "tenant.id", "pattern", ""),
    ("tenant id leading dash", _set("tenant.id", "-northwind"), "tenant.id", "pattern", ""),
    ("tenant id trailing dash", _set("tenant.id", "northwind-"), "tenant.id", "pattern", ""),
    ("tenant id too short", _set("tenant.id", "nw"), "tenant.id", "at least 3", ""),
    ("tenant id too long", _set("tenant.id", "n" * 41), "tenant.id", "at most 40", ""),
    ("tenant name missing", _drop("tenant.name"), "tenant.name", MISSING, ""),
    # contract terms
    ("zero seats", _set("contract.seats", 0), "contract.seats", "greater than 0", "positive"),
    ("negative seats", _set("contract.seats", -5), "contract.seats", "greater than 0", ""),
    ("seats not a number", _set("contract.seats", "many"), "contract.seats", "integer", "whole"),
    ("no features", _set("contract.features", []), "contract.features", "at least 1", ONE_ENTRY),
    (
        "blank feature",
        _set("contract.features", ["subtitles", " "]),
        "contract.features",
        "contains an empty feature name",
        "",
    ),
    (
        "feature twice",
        _set("contract.features", ["subtitles", "dubbing", "subtitles"]),
        "contract.features",
        "lists a feature twice",
        "",
    ),
    (
        "unknown sla tier",
        _set("contract.sla_tier", "gold"),
        "contract.sla_tier",
        "'standard', 'premium' or 'enterprise'",
        "allowed values",
    ),
    (
        "zero rate limit",
        _set("contract.api_rate_limit_per_minute", 0),
        "contract.api_rate_limit_per_minute",
        "greater than 0",
        "",
    ),
    # unknown fields: a typo must not silently drop a requirement
    ("unknown top-level field", _set("notes", "vip"), "notes", "Extra inputs", "spelling"),
    ("misspelt field", _set("contract.sla_teir", "premium"), "contract.sla_teir", "Extra", ""),
    (
        "unknown contact field",
        _set("contacts.admins.0.role", "owner"),
        "contacts.admins.0.role",
        "Extra inputs are not permitted",
        "remove it",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "path", "message", "fix"),
    [pytest.param(*case[1:], id=case[0]) for case in SINGLE_PROBLEMS],
)
def test_each_requirement_is_its_own_problem(
    tmp_path: Path, mutate: Callable[[Data], object], path: str, message: str, fix: str
) -> None:
    problems = problems_after(tmp_path, mutate)

    assert [p.path for p in problems] == [path]
    assert message in problems[0].message
    assert fix in problems[0].fix
    assert str(problems[0]).startswith(f"{path}: ")


def test_future_signature_is_relative_to_the_given_today(tmp_path: Path) -> None:
    data = example()
    data["contract"]["signed_on"] = date(2026, 11, 30)
    path = write(tmp_path, data)

    assert load_contract(path, today=date(2026, 11, 30)).contract.signed_on == date(2026, 11, 30)
    with pytest.raises(InputFileError) as info:
        load_contract(path, today=date(2026, 11, 29))
    assert [p.path for p in info.value.problems] == ["contract.signed_on"]


# ------------------------------------------------------------ every problem at once


def test_a_file_with_many_problems_lists_them_all(tmp_path: Path) -> None:
    data = example()
    data["tenant"]["id"] = "Northwind Studios"
    data["contract"]["signed_on"] = TODAY + timedelta(days=30)
    data["contract"]["sla_tier"] = "platinum"
    data["contract"]["seats"] = 0
    data["contract"]["features"] = []
    del data["data_residency"]["region"]
    del data["data_residency"]["approved_on"]
    data["contacts"]["admins"] = []
    data["contacts"]["escalation"] = []
    del data["security_questionnaire"]["completed_on"]
    data["owner"] = "olivia@localizevideos.example"

    problems = refused(write(tmp_path, data))

    assert sorted(p.path for p in problems) == sorted(
        [
            "tenant.id",
            "contract.signed_on",
            "contract.sla_tier",
            "contract.seats",
            "contract.features",
            "data_residency.region",
            "data_residency.approved_on",
            "contacts.admins",
            "contacts.escalation",
            "security_questionnaire",
            "owner",
        ]
    )
    assert len(problems) == 11
    assert all(p.message for p in problems)


def test_several_missing_sections_are_each_reported(tmp_path: Path) -> None:
    problems = refused(write(tmp_path, {"tenant": {"id": "northwind-studios", "name": "N"}}))

    assert [p.path for p in problems] == [
        "contract",
        "data_residency",
        "contacts",
        "security_questionnaire",
    ]
    assert all(p.message == MISSING for p in problems)


# ------------------------------------------------------------- unreadable files


def _only_problem(path: Path) -> Problem:
    problems = refused(path)
    assert len(problems) == 1
    return problems[0]


def test_bad_yaml_is_one_problem_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "contract.yaml"
    path.write_text("tenant:\n  id: northwind\n  name: [Northwind\n", encoding="utf-8")

    problem = _only_problem(path)

    assert problem.path.startswith("line ")
    assert problem.message == "is not valid YAML"
    assert problem.fix  # the parser's own explanation


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("- tenant\n- contract\n", id="list"),
        pytest.param("just a sentence\n", id="scalar"),
        pytest.param("", id="empty"),
        pytest.param("# only a comment\n", id="comment"),
    ],
)
def test_a_file_that_is_not_a_mapping_is_one_problem(tmp_path: Path, text: str) -> None:
    path = tmp_path / "contract.yaml"
    path.write_text(text, encoding="utf-8")

    problem = _only_problem(path)

    assert (problem.path, problem.message) == ("(file)", "is not a YAML mapping")


def test_a_missing_file_is_one_problem(tmp_path: Path) -> None:
    problem = _only_problem(tmp_path / "nope.yaml")

    assert (problem.path, problem.message, problem.fix) == (
        "(file)",
        "does not exist",
        "check the path",
    )


def test_a_directory_is_one_problem(tmp_path: Path) -> None:
    problem = _only_problem(tmp_path)

    assert problem.path == "(file)"
    assert problem.message.startswith("cannot be read")


def test_a_file_that_is_not_utf8_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "contract.yaml"
    path.write_text("tenant:\n  id: northwind\n", encoding="utf-16")

    problem = _only_problem(path)

    assert problem.path == "(file)"
    assert "UTF-8" in problem.message
