"""Key rings from settings and files: what is refused, and how it is named."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import SecretStr

from codec.devsecrets import ensure_dev_secrets
from codec.keys import KeyRingError, new_key_entry, parse_ring
from codec.settings import CodecSettings, read_token


def settings(**values: object) -> CodecSettings:
    base: dict[str, object] = {"key_file": None, "keys": None, "active_key": None}
    base.update(values)
    return CodecSettings(**base)  # type: ignore[arg-type]


def test_no_key_configured_is_refused_naming_the_variable(tmp_path: Path) -> None:
    with pytest.raises(KeyRingError) as raised:
        settings(data_dir=tmp_path).key_ring()
    assert str(raised.value).startswith("ONBOARDING_CODEC_KEY_FILE: no payload encryption key")
    assert "ONBOARDING_CODEC_KEYS" in str(raised.value)


@pytest.mark.parametrize(
    ("ring", "says"),
    [
        pytest.param("k1", "is not KEY_ID:BASE64", id="no-separator"),
        pytest.param("k1:not base64!", "is not valid base64", id="not-base64"),
        pytest.param("k1:" + "QUJD", "has 3 bytes; AES-256 needs 32", id="short"),
        pytest.param("", "holds no key", id="empty"),
        pytest.param("bad id:" + new_key_entry().split(":")[1], "is not KEY_ID", id="bad-id"),
    ],
)
def test_malformed_rings_are_refused_with_the_reason(ring: str, says: str) -> None:
    with pytest.raises(KeyRingError) as raised:
        settings(keys=SecretStr(ring)).key_ring()
    assert str(raised.value).startswith("ONBOARDING_CODEC_KEYS: ")
    assert says in str(raised.value)


def test_a_repeated_key_id_is_refused() -> None:
    entry = new_key_entry("k1")
    with pytest.raises(KeyRingError, match="appears twice"):
        parse_ring(f"{entry},{new_key_entry('k1')}")


def test_several_keys_need_the_active_one_named() -> None:
    ring = f"{new_key_entry('a')},{new_key_entry('b')}"
    with pytest.raises(KeyRingError) as raised:
        settings(keys=SecretStr(ring)).key_ring()
    assert str(raised.value).startswith("ONBOARDING_CODEC_ACTIVE_KEY: ")
    with pytest.raises(KeyRingError, match="ONBOARDING_CODEC_ACTIVE_KEY: key 'c' is not"):
        settings(keys=SecretStr(ring), active_key="c").key_ring()
    assert settings(keys=SecretStr(ring), active_key="b").key_ring().active == "b"


def test_a_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keys"
    path.write_text(new_key_entry("k1") + "\n")
    path.chmod(0o644)
    with pytest.raises(KeyRingError, match=r"ONBOARDING_CODEC_KEY_FILE: .* \(mode 0644\)"):
        settings(key_file=path).key_ring()
    path.chmod(0o600)
    assert settings(key_file=path).key_ring().active == "k1"


def test_both_sources_at_once_are_refused(tmp_path: Path) -> None:
    with pytest.raises(KeyRingError, match="both set"):
        settings(keys=SecretStr(new_key_entry()), key_file=tmp_path / "k").key_ring()


def test_the_ring_never_shows_key_material() -> None:
    entry = new_key_entry("k1")
    assert entry.split(":")[1] not in repr(parse_ring(entry))


def test_dev_secrets_are_created_once_owner_only_and_found_in_the_data_dir(
    tmp_path: Path,
) -> None:
    first = ensure_dev_secrets(tmp_path)
    for path in (first.key_file, first.token_file):
        assert os.stat(path).st_mode & 0o777 == 0o600
    assert os.stat(first.key_file.parent).st_mode & 0o777 == 0o700
    ring = settings(data_dir=tmp_path).key_ring()  # the default place, nothing else set
    again = ensure_dev_secrets(tmp_path)
    assert settings(key_file=again.key_file).key_ring() == ring
    assert again.token() == first.token() and len(first.token()) >= 32


def test_the_codec_token_has_no_default_and_must_be_long(tmp_path: Path) -> None:
    with pytest.raises(KeyRingError, match=r"ONBOARDING_CODEC_TOKEN_FILE: .*no default"):
        read_token(None, None)
    with pytest.raises(KeyRingError, match=r"ONBOARDING_CODEC_TOKEN: .*shorter than 32"):
        read_token(SecretStr("short"), None)
