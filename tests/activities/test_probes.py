"""Probe identities per attempt: reused across Steps 3-5, retired by newer attempts only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import SecretStr

from activities.platform import PlatformClient, ProbeConfig
from activities.probe_names import Generation
from activities.probes import ProbeUsers
from tests.activities.support import (
    TENANT,
    Quiet,
    operations,
    provision,
    request,
    run,
    run_as,
)

DOMAIN = f"{TENANT}.probe.localizevideos.example"
IDENTITY = "verify_access_identity"
ENVIRONMENT = "validate_environment"
FEATURES = "enable_features"


async def probe_emails(platform: PlatformClient) -> set[str]:
    return {u["email"] for u in await platform.users(TENANT) if u["probe"]}


async def user_upserts(platform: PlatformClient, step: str) -> int:
    """How many user upserts a step sent (each one costs the platform a password hash)."""
    ops = await operations(platform)
    return sum(
        1
        for op in ops
        if op["operation"].startswith("upsert_user")
        and str(op["idempotency_key"]).endswith(f":{step}")
    )


async def test_steps_3_to_5_share_one_viewer_and_editor_and_leave_no_probe_behind(
    acts: dict[str, Callable[..., Any]], platform: PlatformClient
) -> None:
    await provision(acts)
    viewer, editor = f"probe-viewer.s3r1a1@{DOMAIN}", f"probe-editor.s3r1a1@{DOMAIN}"

    identity = await run(acts[IDENTITY], request(IDENTITY))
    after_identity = await probe_emails(platform)
    environment = await run(acts[ENVIRONMENT], request(ENVIRONMENT))
    after_environment = await probe_emails(platform)
    features = await run(acts[FEATURES], request(FEATURES))

    assert identity.passed and environment.passed and features.passed
    assert after_identity == after_environment == {viewer, editor}
    assert await probe_emails(platform) == set()
    # Created in Step 3 and used by Steps 4 and 5 without being stored again.
    assert await user_upserts(platform, "access_identity") == 4
    assert await user_upserts(platform, "environment_validation") == 0
    assert await user_upserts(platform, "feature_enablement") == 0


async def test_a_retry_gets_users_of_its_own_and_retires_the_older_attempts(
    acts: dict[str, Callable[..., Any]], platform: PlatformClient
) -> None:
    await provision(acts)
    await run(acts[IDENTITY], request(IDENTITY))

    second = await run_as(acts[ENVIRONMENT], request(ENVIRONMENT), attempt=2)

    assert second.passed, second.failed
    # Attempt 2 of Step 4 did not reuse Step 3's users (its attempt 1 may still run) and
    # retired them; it keeps its own viewer for Step 5.
    assert await probe_emails(platform) == {f"probe-viewer.s4r1a2@{DOMAIN}"}


async def test_an_older_attempt_still_running_cannot_touch_the_newer_attempts_users(
    acts: dict[str, Callable[..., Any]], platform: PlatformClient, probe: ProbeConfig
) -> None:
    await provision(acts)
    req = request(ENVIRONMENT)
    newer = ProbeUsers(platform, probe, req, ("viewer",), Quiet())
    newer.generation = Generation(4, 1, 3)  # as Temporal's attempt 3

    async with newer:
        session = newer.sessions["viewer"]
        # Attempt 1, timed out but still running, comes and goes in the meantime.
        async with ProbeUsers(platform, probe, req, ("viewer",), Quiet()) as older:
            assert older.sessions, older.refusals
        me = await platform.tenant("GET", TENANT, "/me", session, probe_key=newer.probe_key)
        emails = await probe_emails(platform)

    assert me.status == 200
    assert f"probe-viewer.s4r1a3@{DOMAIN}" in emails


async def test_a_newer_attempt_revokes_what_an_older_one_still_holds(
    acts: dict[str, Callable[..., Any]], platform: PlatformClient, probe: ProbeConfig
) -> None:
    await provision(acts)
    req = request(ENVIRONMENT)

    async with ProbeUsers(platform, probe, req, ("viewer",), Quiet()) as older:
        stale = older.sessions["viewer"]
        newer = ProbeUsers(platform, probe, req, ("viewer",), Quiet())
        newer.generation = Generation(4, 1, 2)
        async with newer:
            me = await platform.tenant("GET", TENANT, "/me", stale, probe_key=older.probe_key)

    assert me.status == 401  # the stale attempt's user is gone, so are its sessions


async def test_a_reused_user_with_another_workers_password_is_given_this_ones(
    acts: dict[str, Callable[..., Any]], platform: PlatformClient, probe: ProbeConfig
) -> None:
    await provision(acts)
    other_worker = probe.model_copy(update={"password": SecretStr("another-workers-pw-" * 2)})
    async with ProbeUsers(platform, other_worker, request(IDENTITY), ("viewer",), Quiet()):
        pass  # Step 3 on another worker leaves its viewer with that worker's password

    async with ProbeUsers(platform, probe, request(ENVIRONMENT), ("viewer",), Quiet()) as users:
        assert users.reused == ["viewer"]
        assert users.sessions["viewer"].email == f"probe-viewer.s3r1a1@{DOMAIN}"


async def test_customer_users_are_never_taken_for_probes(
    acts: dict[str, Callable[..., Any]], platform: PlatformClient, probe: ProbeConfig
) -> None:
    await provision(acts)
    lookalike = f"probe-viewer.s1r1a1@{DOMAIN}"
    await platform.put_user(TENANT, lookalike, name="Not a probe", roles=["viewer"], probe=False)

    await run(acts[FEATURES], request(FEATURES))

    emails = {u["email"] for u in await platform.users(TENANT)}
    assert lookalike in emails
