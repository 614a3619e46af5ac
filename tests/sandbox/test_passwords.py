"""Password hashing: the cost is a setting, and each hash verifies under either setting."""

from __future__ import annotations

import pytest

from sandbox.passwords import hash_password, verify_password
from sandbox.settings import SandboxSettings


@pytest.mark.parametrize(("hashing", "n"), [("strong", 2**14), ("cheap", 2**4)])
def test_the_hash_records_its_cost_and_verifies(hashing: str, n: int) -> None:
    stored = hash_password("correct horse", hashing)  # type: ignore[arg-type]

    assert stored.split("$")[:2] == ["scrypt", str(n)]
    assert verify_password("correct horse", stored, "strong")
    assert verify_password("correct horse", stored, "cheap")
    assert not verify_password("wrong horse", stored, "cheap")


def test_nothing_stored_never_verifies() -> None:
    assert not verify_password("anything", None, "cheap")
    assert not verify_password("anything", None, "strong")


def test_a_hash_claiming_an_absurd_cost_is_refused_not_computed() -> None:
    stored = hash_password("pw", "cheap").split("$")
    stored[1] = str(2**30)

    assert not verify_password("pw", "$".join(stored))


def test_strong_is_the_default_and_cheap_is_chosen_explicitly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SANDBOX_PASSWORD_HASHING", raising=False)
    assert SandboxSettings().password_hashing == "strong"
    monkeypatch.setenv("SANDBOX_PASSWORD_HASHING", "cheap")
    assert SandboxSettings().password_hashing == "cheap"
    monkeypatch.setenv("SANDBOX_PASSWORD_HASHING", "none")
    with pytest.raises(ValueError, match="strong"):
        SandboxSettings()
