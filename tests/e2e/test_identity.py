"""End to end: who did what is proven, on the real stack, through the real CLI.

Customer links refused for the wrong person, tenant, a forged token, an expired or a used
link; a signed payload replayed or sent to another tenant; a key removed from the roster;
and a records store rewritten, truncated or deleted behind the system's back. Every
refusal is on record and `onboard verify` catches every rewrite.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from google.protobuf import json_format

from approvals.links import LinkGrant, LinkStore
from approvals.tokens import link_url, token_for
from identity.keyfiles import load_secret_file
from records.db import make_engine
from records.store import RecordsStore
from starter.devstack import DevStack
from tests.e2e.payloads import decoded, payload_bytes, raw_history
from tests.e2e.stack import (
    APPROVER,
    OWNER,
    admin_of,
    client_of,
    drive_to_live,
    give_enablement_evidence,
    link_for,
    new_tenant,
    ok,
    onboard,
    status_json,
    wait_for,
    waiting_at,
    write_contract,
)
from tests.records.builders import rewrite_actor_from

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]
"""Each test drives onboardings through many CLI calls: slow on a busy machine, not wrong."""


def signal(stack: DevStack, tenant: str, payload: Any) -> None:
    """Send a signal as the Web UI would (to `give_input`)."""

    async def go() -> None:
        client = await client_of(stack)
        await client.get_workflow_handle(f"onboarding-{tenant}").signal("give_input", payload)

    asyncio.run(go())


def history_text(stack: DevStack, tenant: str) -> str:
    """The whole history, every payload opened with the stack's keys (what even someone
    holding the key ring sees)."""
    history = decoded(asyncio.run(raw_history(stack, f"onboarding-{tenant}")), stack)
    return json_format.MessageToJson(history) + payload_bytes(history).decode(errors="replace")


def refusals(stack: DevStack, tenant: str, count: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = wait_for(stack, tenant, lambda s: s["refused_total"] >= count)[
        "refused"
    ]
    return found


def test_customer_links_work_once_for_their_admin_only(stack: DevStack, tmp_path: Path) -> None:
    tenant, other = new_tenant("link"), new_tenant("other")
    admin = admin_of(tenant)
    ok(stack, "start", str(write_contract(tmp_path, tenant)), "--as", OWNER)
    ok(stack, "start", str(write_contract(tmp_path, other)), "--as", OWNER)
    wait_for(stack, tenant, waiting_at("internal_readiness"))
    ok(stack, "assign-owner", tenant, "--owner", OWNER, "--as", OWNER)
    wait_for(stack, tenant, waiting_at("customer_enablement"))
    give_enablement_evidence(stack, tenant)
    wait_for(stack, tenant, waiting_at("go_live"))
    link = link_for(stack, tenant, "sign-off:customer")
    assert link.startswith(f"{stack.portal_url}/l/")

    def customer(*args: str) -> Any:
        return onboard(stack, "sign-off", *args)

    # A staff member with the customer's link, and the link used for another tenant.
    as_staff = customer(tenant, "customer", "--as", OWNER, "--token", link)
    assert as_staff.returncode == 1 and "sent to someone else" in as_staff.stderr
    elsewhere = customer(other, "customer", "--as", admin, "--token", link)
    assert elsewhere.returncode == 1 and f"for the onboarding of {tenant}" in elsewhere.stderr
    # A token guessed or mangled.
    forged = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    guessed = customer(tenant, "customer", "--as", admin, "--token", forged)
    assert guessed.returncode == 1 and "not a working link" in guessed.stderr
    # A staff member's own key for the customer gate.
    keyed = customer(tenant, "customer", "--as", OWNER)
    assert keyed.returncode == 1 and "--token" in keyed.stderr

    # The link's page says what is approved and asks to confirm; opening it uses nothing.
    page = httpx.get(link, timeout=60)
    assert page.status_code == 200 and "What you approve" in page.text
    assert f"Test {tenant}" in page.text and 'name="as_email"' in page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY"

    first = customer(tenant, "customer", "--as", admin, "--token", link, "--note", "ship it")
    assert first.returncode == 0 and first.stdout.startswith("recorded"), first.stderr
    again = customer(tenant, "customer", "--as", admin, "--token", link.split("/l/")[1])
    assert again.returncode == 0 and again.stdout.startswith("already recorded"), again.stderr

    # An expired link (issued for a deadline that has passed) is refused and kept.
    engine = make_engine(f"sqlite:///{stack.data_dir / 'records.db'}")
    try:
        past = datetime.now(UTC) - timedelta(minutes=1)
        row = LinkStore(engine).issue(
            LinkGrant(
                notification_key=f"onboarding-{tenant}:sign-off:customer:invite:old.1",
                tenant_id=tenant,
                workflow_id=f"onboarding-{tenant}",
                gate="sign-off:customer",
                input="sign_off",
                admin=admin,
                expires_at=past,
            ),
            past - timedelta(days=5),
        )
    finally:
        engine.dispose()
    secret = load_secret_file(stack.keys.link_key)
    expired = link_url(stack.portal_url, token_for(secret, row.link_id))
    late = customer(tenant, "customer", "--as", admin, "--token", expired)
    assert late.returncode == 1 and "expired" in late.stderr

    # The four refusals that name an onboarding (a forged token names none).
    status = wait_for(stack, tenant, lambda s: s["refused_total"] == 4)
    kept = [(r["input"], r["by"], r["reason"]) for r in status["refused"]]
    reasons = " | ".join(reason for *_, reason in kept)
    assert "redeemed as another address" in reasons  # the staff member, by their address
    assert ("link:sign-off:customer", OWNER) in {(i, by) for i, by, _ in kept}
    assert "used for another tenant" in reasons
    assert "link used again" in reasons and "link expired" in reasons
    [signed_off] = status["sign_offs"]
    assert signed_off["by"] == admin and signed_off["note"] == "ship it"

    # The secret behind a link is in no history and no log.
    token = link.split("/l/")[1]
    assert token not in history_text(stack, tenant)
    for part in ("worker", "approvals", "temporal"):
        assert token not in stack.log_path(part).read_text(errors="replace")


def test_a_signed_input_is_taken_once_and_only_where_it_was_signed_for(
    stack: DevStack, tmp_path: Path
) -> None:
    tenant, other = new_tenant("sig"), new_tenant("sig")
    for t in (tenant, other):
        ok(stack, "start", str(write_contract(tmp_path, t)), "--as", OWNER)
        wait_for(stack, t, waiting_at("internal_readiness"))
    printed = ok(
        stack, "assign-owner", tenant, "--owner", OWNER, "--as", APPROVER, "--print-signal"
    )
    envelope = json.loads(printed.strip().splitlines()[-1])

    signal(stack, tenant, envelope)
    assert wait_for(stack, tenant, lambda s: s["owner"] == OWNER)["owner"] == OWNER
    signal(stack, tenant, envelope)  # captured and replayed
    signal(stack, other, envelope)  # sent to another tenant's onboarding

    [replay] = refusals(stack, tenant, 1)
    # A replay proves only that Priya signed it once, not who sent it again.
    assert replay["reason"].startswith("replay") and replay["by"] == f"unverified ({APPROVER})"
    [elsewhere] = refusals(stack, other, 1)
    assert f"signed for onboarding-{tenant}" in elsewhere["reason"]
    assert status_json(stack, other)["owner"] is None
    assert "WorkflowTaskFailed" not in history_text(stack, other)


def test_a_key_removed_from_the_roster_signs_nothing(stack: DevStack, tmp_path: Path) -> None:
    roster_file = stack.keys.roster
    original = roster_file.read_text()
    roster = yaml.safe_load(original)
    for person in roster["people"]:
        if person["email"] == APPROVER:
            person["public_keys"] = []  # revoked
    roster_file.write_text(yaml.safe_dump(roster))
    try:
        tenant = new_tenant("revoked")
        ok(stack, "start", str(write_contract(tmp_path, tenant)), "--as", OWNER)
        wait_for(stack, tenant, waiting_at("internal_readiness"))
        revoked = onboard(stack, "assign-owner", tenant, "--owner", OWNER, "--as", APPROVER)
        assert revoked.returncode == 1
        assert f"{APPROVER} has no public key on the roster" in revoked.stderr
        [kept] = refusals(stack, tenant, 1)
        assert "no public key" in kept["reason"]
    finally:
        roster_file.write_text(original)


def _copy_records(stack: DevStack, to: Path) -> str:
    """A consistent copy of the stack's records store (an attacker's playground)."""
    with sqlite3.connect(stack.data_dir / "records.db") as source, sqlite3.connect(to) as copy:
        source.backup(copy)
    return f"sqlite:///{to}"


def test_verify_catches_a_rewritten_truncated_or_deleted_record(
    stack: DevStack, tmp_path: Path
) -> None:
    tenant = new_tenant("verify")
    ok(stack, "start", str(write_contract(tmp_path, tenant)), "--as", OWNER)
    drive_to_live(stack, tenant)
    wait_for(stack, tenant, lambda s: s["records"] is not None and s["records"]["seq"] > 40)

    intact = ok(stack, "verify", tenant)
    assert "hash chain and records-key signatures verified" in intact
    assert "held against" not in intact and "head holds" in intact
    assert (
        f"sign_off by {admin_of(tenant)}" in intact and "customer through the approvals" in intact
    )
    pack = json.loads(ok(stack, "export", tenant, "--format", "json"))
    head = f"{pack['chain']['head_seq']}:{pack['chain']['head_hash']}"

    def verify_copy(name: str, attack: Any, *extra: str, **env: str) -> Any:
        url = _copy_records(stack, tmp_path / f"{name}.db")
        engine = make_engine(url)
        try:
            attack(RecordsStore(engine), engine)
        finally:
            engine.dispose()
        variables = {"ONBOARDING_DATABASE_URL": url, **env}
        return onboard(stack, "verify", tenant, *extra, env=variables)

    def change_the_customer_sign_off(store: RecordsStore, engine: Any) -> None:
        sign_off = next(
            e
            for e in store.entries(tenant)
            if e.kind == "input_accepted" and e.payload.get("channel") == "customer"
        )
        rewrite_actor_from(store, tenant, sign_off.seq, "mallory@evil.example")

    rewritten = verify_copy("rewritten", change_the_customer_sign_off)
    assert rewritten.returncode == 5 and "not signed by the records key" in rewritten.stderr

    def drop_the_last_entry(store: RecordsStore, engine: Any) -> None:
        *_, before, last = store.entries(tenant)
        with engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM entries WHERE id = ?", (last.id,))
            conn.exec_driver_sql(
                "UPDATE onboardings SET head_seq = ?, head_hash = ? WHERE tenant_id = ?",
                (before.seq, before.hash, tenant),
            )

    truncated = verify_copy("truncated", drop_the_last_entry)
    assert truncated.returncode == 5, truncated.stderr
    offline = verify_copy(
        "offline", drop_the_last_entry, "--head", head, TEMPORAL_ADDRESS="127.0.0.1:1"
    )
    assert offline.returncode == 5, offline.stderr

    def delete_the_onboarding(store: RecordsStore, engine: Any) -> None:
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "DELETE FROM entries WHERE onboarding_id = "
                "(SELECT id FROM onboardings WHERE tenant_id = ?)",
                (tenant,),
            )
            conn.exec_driver_sql("DELETE FROM onboardings WHERE tenant_id = ?", (tenant,))

    deleted = verify_copy("deleted", delete_the_onboarding)
    assert deleted.returncode == 5 and "rows were deleted" in deleted.stderr
    # With neither Temporal nor an export's head, nothing says it ever existed: exit 4.
    unknown = verify_copy("unknown", delete_the_onboarding, TEMPORAL_ADDRESS="127.0.0.1:1")
    assert unknown.returncode == 4
