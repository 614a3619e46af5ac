"""Every field of the contract is bounded and strictly typed, and the YAML is read defensively.

Each hostile contract of the issue's trial (duplicate keys, a second `tenant:` block,
`seats: true`, dates in year 1 or 9999, 10^30 seats, 10,000 admins, a 1 MB phone number,
20,000 features, deep nesting, a newline in the region) is refused, naming the field.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from onboarding import limits, yamlfile
from onboarding.problems import InputFileError, Problem, load_contract
from tests.conftest import EXAMPLES

TODAY = date(2026, 12, 1)
Data = dict[str, Any]
BASE: Data = yaml.safe_load((EXAMPLES / "contract.yaml").read_text(encoding="utf-8"))


def refused_text(tmp_path: Path, text: str) -> list[Problem]:
    path = tmp_path / "contract.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError) as info:
        load_contract(path, today=TODAY)
    return info.value.problems


def refused(tmp_path: Path, mutate: Callable[[Data], object]) -> list[Problem]:
    data = copy.deepcopy(BASE)
    mutate(data)
    return refused_text(tmp_path, yaml.safe_dump(data, sort_keys=False))


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, problems
    return problems[0]


def setter(section: str, key: str, value: Any) -> Callable[[Data], None]:
    return lambda data: data[section].__setitem__(key, value)


def contact(i: int) -> dict[str, str]:
    return {"name": f"Admin {i}", "email": f"admin{i}@northwind.example"}


# ------------------------------------------------------------------ caps, named


CAPS: list[tuple[str, Callable[[Data], object], str, str]] = [
    ("10^30 seats", setter("contract", "seats", 10**30), "contract.seats", "100000"),
    ("seats one over", setter("contract", "seats", limits.SEATS_MAX + 1), "contract.seats", ""),
    (
        "rate limit beyond the platform",
        setter("contract", "api_rate_limit_per_minute", 10**9),
        "contract.api_rate_limit_per_minute",
        "less than or equal to 100000",
    ),
    (
        "21 admins",
        lambda d: d["contacts"].__setitem__(
            "admins", [contact(i) for i in range(limits.ADMINS_MAX + 1)]
        ),
        "contacts.admins",
        "at most 20 items",
    ),
    (
        "11 escalation contacts",
        lambda d: d["contacts"].__setitem__(
            "escalation", [contact(i) for i in range(limits.ESCALATION_MAX + 1)]
        ),
        "contacts.escalation",
        "at most 10 items",
    ),
    (
        "51 features",
        setter("contract", "features", [f"feature_{i}" for i in range(limits.FEATURES_MAX + 1)]),
        "contract.features",
        "at most 50 items",
    ),
    (
        "a feature that is not a key",
        setter("contract", "features", ["subtitles", "<b>dubbing</b>"]),
        "contract.features",
        "not a feature key",
    ),
    (
        "a long phone number",
        lambda d: d["contacts"]["escalation"][0].__setitem__("phone", "5" * 10_000),
        "contacts.escalation.0.phone",
        "at most 32 characters",
    ),
    (
        "a phone number in words",
        lambda d: d["contacts"]["escalation"][0].__setitem__("phone", "call Sam"),
        "contacts.escalation.0.phone",
        "is not a phone number",
    ),
    (
        "a long tenant name",
        lambda d: d["tenant"].__setitem__("name", "N" * (limits.TENANT_NAME_MAX + 1)),
        "tenant.name",
        "at most 200 characters",
    ),
    (
        "a long reference",
        setter("contract", "reference", "R" * 101),
        "contract.reference",
        "at most 100",
    ),
    (
        "a long admin name",
        lambda d: d["contacts"]["admins"][0].__setitem__("name", "A" * 201),
        "contacts.admins.0.name",
        "at most 200",
    ),
    (
        "a long e-mail",
        lambda d: d["contacts"]["admins"][0].__setitem__("email", "a" * 65 + "@x.example"),
        "contacts.admins.0.email",
        "more than 64 characters before the @",
    ),
    (
        "signed in year 1",
        setter("contract", "signed_on", date(1, 1, 1)),
        "contract.signed_on",
        "0001",
    ),
    (
        "approved in year 9999",
        setter("data_residency", "approved_on", date(9999, 12, 31)),
        "data_residency.approved_on",
        "not a plausible date",
    ),
    (
        "questionnaire in 1999",
        setter("security_questionnaire", "completed_on", date(1999, 12, 31)),
        "security_questionnaire.completed_on",
        "dates from 2000-01-01",
    ),
    (
        "a date as a Unix time",
        setter("contract", "signed_on", 1_700_000_000),
        "contract.signed_on",
        "YYYY-MM-DD",
    ),
    (
        "a date with a time",
        setter("contract", "signed_on", "2026-11-20 10:00:00"),
        "contract.signed_on",
        "",
    ),
]


@pytest.mark.parametrize(("mutate", "path", "words"), [pytest.param(*c[1:], id=c[0]) for c in CAPS])
def test_each_cap_is_a_problem_naming_its_field(
    tmp_path: Path, mutate: Callable[[Data], object], path: str, words: str
) -> None:
    problem = only(refused(tmp_path, mutate))
    assert problem.path == path
    assert words in problem.message


def test_the_caps_themselves_are_accepted(tmp_path: Path) -> None:
    data = copy.deepcopy(BASE)
    data["contract"]["seats"] = limits.SEATS_MAX
    data["contract"]["api_rate_limit_per_minute"] = limits.RATE_LIMIT_MAX
    data["contacts"]["admins"] = [contact(i) for i in range(limits.ADMINS_MAX)]
    data["contacts"]["escalation"] = [contact(i) for i in range(limits.ESCALATION_MAX)]
    data["contacts"]["escalation"][0]["phone"] = "+49 (0)30 1234-5678 ext 12"
    data["tenant"]["name"] = "N" * limits.TENANT_NAME_MAX
    data["contract"]["signed_on"] = limits.EARLIEST_DATE
    path = tmp_path / "contract.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")

    contract = load_contract(path, today=TODAY)

    assert len(contract.contacts.admins) == limits.ADMINS_MAX
    assert contract.contract.seats == limits.SEATS_MAX


# ------------------------------------------------------------------ strict types


@pytest.mark.parametrize(
    ("text", "path", "fix"),
    [
        ("seats: true", "contract.seats", "whole number"),
        ("seats: '120'", "contract.seats", "whole number"),
        ("seats: 120.0", "contract.seats", "whole number"),
        ("api_rate_limit_per_minute: false", "contract.api_rate_limit_per_minute", "whole"),
    ],
)
def test_a_number_is_a_number(tmp_path: Path, text: str, path: str, fix: str) -> None:
    key, _, value = text.partition(": ")
    data = copy.deepcopy(BASE)
    data["contract"][key] = yaml.safe_load(value)
    problem = only(refused(tmp_path, lambda d: d.update(data)))
    assert (problem.path, fix in problem.fix) == (path, True)


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "'true'", "1"])
def test_a_boolean_is_true_or_false(tmp_path: Path, word: str) -> None:
    text = (EXAMPLES / "contract.yaml").read_text(encoding="utf-8")
    text = text.replace("required: true", f"required: {word}")
    problem = only(refused_text(tmp_path, text))
    assert problem.path == "security_questionnaire.required"
    assert "true or false" in problem.fix


# ------------------------------------------------------------------ human text


@pytest.mark.parametrize(
    ("mutate", "path", "words"),
    [
        (
            setter("data_residency", "region", "eu-central\n# Approved by the CEO"),
            "data_residency.region",
            "not a platform region name",
        ),
        (
            lambda d: d["tenant"].__setitem__("name", "Northwind\n**signed off**"),
            "tenant.name",
            "a line break (U+000A)",
        ),
        (
            lambda d: d["tenant"].__setitem__("name", "Northwind\x1b[31m"),
            "tenant.name",
            "a control character (U+001B)",
        ),
        (
            setter("contract", "reference", "CTR-\u202e7110"),
            "contract.reference",
            "bidirectional control character (U+202E)",
        ),
        (
            lambda d: d["contacts"]["admins"][0].__setitem__("name", "Ada\u0085Park"),
            "contacts.admins.0.name",
            "control character (U+0085)",
        ),
        (
            lambda d: d["contacts"]["admins"][0].__setitem__("email", "ada\x07@northwind.example"),
            "contacts.admins.0.email",
            "control character (U+0007)",
        ),
        (
            lambda d: d["contacts"]["admins"][0].__setitem__("email", "<ada@northwind.example>"),
            "contacts.admins.0.email",
            "is not an e-mail address",
        ),
    ],
)
def test_control_and_bidi_characters_are_refused(
    tmp_path: Path, mutate: Callable[[Data], object], path: str, words: str
) -> None:
    problem = only(refused(tmp_path, mutate))
    assert problem.path == path
    assert words in problem.message


# ------------------------------------------------------------------ the YAML itself


def test_a_second_tenant_block_is_refused(tmp_path: Path) -> None:
    text = (EXAMPLES / "contract.yaml").read_text(encoding="utf-8")
    text += "tenant:\n  id: someone-else\n  name: Someone Else\n"
    problem = only(refused_text(tmp_path, text))
    assert problem.path.startswith("line ")
    assert "the key 'tenant' appears twice" in problem.message
    assert re.search(r"\(first at line \d+\)$", problem.message)


def test_a_duplicate_nested_key_is_refused(tmp_path: Path) -> None:
    text = (EXAMPLES / "contract.yaml").read_text(encoding="utf-8")
    text = text.replace("  seats: 120", "  seats: 120\n  seats: 1")
    problem = only(refused_text(tmp_path, text))
    assert "the key 'seats' appears twice" in problem.message
    assert "keep one of them" in problem.fix


def test_deep_nesting_is_refused_before_building_anything(tmp_path: Path) -> None:
    problem = only(refused_text(tmp_path, "tenant: " + "[" * 20_000 + "]" * 20_000))
    assert problem.path in ("(file)", "line 1")
    assert "nest" in problem.message or "not valid YAML" in problem.message
    block = "".join("  " * i + f"k{i}:\n" for i in range(100)) + "  " * 100 + "x\n"
    problem = only(refused_text(tmp_path, block))
    assert "more than 10 levels deep" in problem.message


def test_aliases_are_refused(tmp_path: Path) -> None:
    laughs = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{n}: &{n} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, n in zip("abcdefgh", "bcdefghi", strict=True)
    )
    problem = only(refused_text(tmp_path, laughs))
    assert "anchor or alias" in problem.message


def test_a_second_document_is_refused(tmp_path: Path) -> None:
    text = (EXAMPLES / "contract.yaml").read_text(encoding="utf-8") + "---\ntenant: {}\n"
    assert "second YAML document" in only(refused_text(tmp_path, text)).message


def test_ten_thousand_admins_are_refused_before_parsing(tmp_path: Path) -> None:
    problem = only(
        refused(
            tmp_path,
            lambda d: d["contacts"].__setitem__("admins", [contact(i) for i in range(10_000)]),
        )
    )
    assert (problem.path, problem.message) == ("(file)", "is larger than 64 KiB")


def test_an_oversized_file_is_refused_unread(tmp_path: Path) -> None:
    text = (EXAMPLES / "contract.yaml").read_text(encoding="utf-8")
    text += "# " + "x" * limits.CONTRACT_FILE_MAX_BYTES + "\n"
    problem = only(refused_text(tmp_path, text))
    assert (problem.path, problem.message) == ("(file)", "is larger than 64 KiB")


def test_a_device_that_never_ends_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputFileError) as info:
        load_contract(Path("/dev/zero"), today=TODAY)
    assert info.value.problems[0].message == "is larger than 64 KiB"


@pytest.mark.parametrize("tag", ["!!binary aGVsbG8=", "!!set {a: null}", "!!python/name:os.system"])
def test_unusual_tags_are_refused(tmp_path: Path, tag: str) -> None:
    text = (EXAMPLES / "contract.yaml").read_text(encoding="utf-8")
    text = text.replace("name: Northwind Studios", f"name: {tag}")
    problem = only(refused_text(tmp_path, text))
    assert problem.path.startswith("line ")


def test_a_flood_of_problems_is_listed_with_a_count(tmp_path: Path) -> None:
    def flood(data: Data) -> None:
        data["contacts"]["admins"] = [{"name": "", "email": "x"} for _ in range(20)]
        data["contacts"]["escalation"] = [{"name": "", "email": "x"} for _ in range(10)]
        data["extra"] = {f"k{i}": i for i in range(100)}

    problems = refused(tmp_path, flood)
    assert len(problems) == 51
    assert problems[-1].message.startswith("has ") and "more problem(s)" in problems[-1].message


def test_without_libyaml_deep_flow_is_refused_before_the_slow_scanner_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(yamlfile, "_SafeLoader", yaml.SafeLoader)
    with pytest.raises(yamlfile.YamlRefused, match="more than 10 levels deep"):
        yamlfile.parse_mapping("tenant: " + "[" * 20_000 + "]" * 20_000)
    assert yamlfile.flow_depth("a: [b, {c: [d]}]  # [[[[[[[[[[[[", 10) == 3
    assert yamlfile.flow_depth("a: 'it''s [[[[[[[[[[[[' \"[[[[[[[[[[[[\"", 10) == 0
