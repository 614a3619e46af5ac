"""`onboard keygen` and signing keys: made once, private, printed for the roster."""

from __future__ import annotations

import stat
from pathlib import Path

from identity.keyfiles import load_private_key, public_text, staff_key_path
from onboarding.keys import fingerprint, raw_public_key
from tests.unit.test_cli_refusals import no_traceback, onboard

ACTOR = "olivia@localizevideos.example"


def test_keygen_creates_a_private_key_once_and_prints_its_public_key(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    made = onboard("keygen", "--as", "Olivia@LocalizeVideos.example", ONBOARDING_KEY_DIR=str(keys))

    assert made.returncode == 0, made.stderr
    path = staff_key_path(keys, ACTOR)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    last = made.stdout.strip().splitlines()[-1]
    assert last.startswith("public_key: ed25519:")
    printed = last.removeprefix("public_key: ")
    assert len(raw_public_key(printed)) == 32
    assert public_text(load_private_key(path)) == printed
    assert fingerprint(printed) in made.stdout

    before = path.read_bytes()
    again = onboard("keygen", "--as", ACTOR, ONBOARDING_KEY_DIR=str(keys))
    assert again.returncode == 1 and "never overwritten" in again.stderr
    assert path.read_bytes() == before
    no_traceback(again)


def test_a_key_readable_by_others_is_refused_when_signing(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    assert onboard("keygen", "--as", ACTOR, ONBOARDING_KEY_DIR=str(keys)).returncode == 0
    staff_key_path(keys, ACTOR).chmod(0o644)

    sent = onboard(
        "retry", "t-1", "go_live", "--as", ACTOR, "--print-signal", ONBOARDING_KEY_DIR=str(keys)
    )

    assert sent.returncode == 1 and "readable by others" in sent.stderr
    no_traceback(sent)


def test_without_a_key_an_input_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    sent = onboard(
        "sign-off", "t-1", "platform", "--as", ACTOR, ONBOARDING_KEY_DIR=str(tmp_path / "none")
    )

    assert sent.returncode == 1
    assert f"onboard keygen --as {ACTOR}" in sent.stderr and "nothing was sent" in sent.stderr
    no_traceback(sent)


def test_print_signal_prints_a_signed_envelope_for_the_web_ui(tmp_path: Path) -> None:
    import json

    keys = tmp_path / "keys"
    assert onboard("keygen", "--as", ACTOR, ONBOARDING_KEY_DIR=str(keys)).returncode == 0

    printed = onboard(
        "sign-off", "t-1", "support", "--as", ACTOR, "--print-signal", ONBOARDING_KEY_DIR=str(keys)
    )

    assert printed.returncode == 0, printed.stderr
    assert "signal name give_input" in printed.stdout
    envelope = json.loads(printed.stdout.strip().splitlines()[-1])
    assert envelope["input"] == "sign_off" and envelope["payload"]["gate"] == "support"
    assert envelope["proof"]["workflow_id"] == "onboarding-t-1"
    assert envelope["proof"]["signer"] == ACTOR


def test_service_keys_are_created_where_the_settings_say(tmp_path: Path) -> None:
    for system in ("records", "approvals", "links"):
        path = tmp_path / f"{system}.key"
        made = onboard("keygen", "--system", system, "--key-file", str(path))
        assert made.returncode == 0, made.stderr
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert onboard("keygen", "--system", system, "--key-file", str(path)).returncode == 1


def test_the_customer_sign_off_needs_the_personal_link(tmp_path: Path) -> None:
    sent = onboard("sign-off", "t-1", "customer", "--as", "ada.park@northwind.example")

    assert sent.returncode == 1 and "--token LINK" in sent.stderr
    no_traceback(sent)
