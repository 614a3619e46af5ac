"""Step 5: what users see, who may use features, and the critical flow."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.sandbox.platform import FEATURES, Platform, Tenant, bearer


@pytest.fixture
def tenant(shared_tenant: Tenant) -> Tenant:
    """The module's tenant: tests here only add sessions, jobs and settings to it."""
    return shared_tenant


async def wait_for_job(platform: Platform, tenant: Tenant, job_id: str) -> dict[str, Any]:
    """Poll the job until it finishes (at most 2 s)."""
    headers = bearer(tenant.tokens["editor"])
    for _ in range(40):
        job: dict[str, Any] = (
            await platform.client.get(f"/v1/t/{tenant.id}/jobs/{job_id}", headers=headers)
        ).json()
        if job["status"] in ("completed", "failed"):
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish: {job}")


async def test_ui_manifest_lists_the_enabled_features(platform: Platform, tenant: Tenant) -> None:
    response = await platform.client.get(
        f"/v1/t/{tenant.id}/ui-manifest", headers=bearer(tenant.tokens["viewer"])
    )

    assert response.json() == {"features": FEATURES}


async def test_feature_access_needs_the_flag_and_editor_or_above(
    platform: Platform, tenant: Tenant
) -> None:
    def get(key: str, role: str) -> Any:
        return platform.client.get(
            f"/v1/t/{tenant.id}/features/{key}", headers=bearer(tenant.tokens[role])
        )

    assert (await get("dubbing", "editor")).status_code == 200
    assert (await get("dubbing", "admin")).json() == {"key": "dubbing", "enabled": True}
    assert (await get("dubbing", "viewer")).status_code == 403
    assert (await get("glossary", "admin")).status_code == 403
    assert (await get("lip_sync_beta", "admin")).status_code == 403
    assert (await get("time_travel", "admin")).status_code == 404


async def test_critical_flow_upload_subtitles_complete(platform: Platform, tenant: Tenant) -> None:
    headers = bearer(tenant.tokens["editor"])
    started = asyncio.get_running_loop().time()

    video = await platform.client.post(
        f"/v1/t/{tenant.id}/videos", json={"title": "Launch trailer"}, headers=headers
    )
    job = await platform.client.post(
        f"/v1/t/{tenant.id}/videos/{video.json()['video_id']}/subtitles",
        json={"language": "de"},
        headers=headers,
    )
    finished = await wait_for_job(platform, tenant, job.json()["job_id"])

    assert video.status_code == 201
    assert job.status_code == 202
    assert finished["status"] == "completed"
    assert asyncio.get_running_loop().time() - started < 1.5
    operations = [o["operation"] for o in await platform.operations(tenant.id)]
    assert operations.count("create_video") == 1
    assert operations.count("create_subtitle_job") == 1


async def test_subtitles_need_the_feature_and_a_known_video(platform: Platform) -> None:
    tenant = await platform.prepared_tenant()
    await platform.client.put(f"/v1/tenants/{tenant.id}/features", json={"features": []})
    headers = bearer(tenant.tokens["editor"])
    video = await platform.client.post(
        f"/v1/t/{tenant.id}/videos", json={"title": "x"}, headers=headers
    )

    no_feature = await platform.client.post(
        f"/v1/t/{tenant.id}/videos/{video.json()['video_id']}/subtitles",
        json={"language": "fr"},
        headers=headers,
    )
    await platform.client.put(f"/v1/tenants/{tenant.id}/features", json={"features": FEATURES})
    no_video = await platform.client.post(
        f"/v1/t/{tenant.id}/videos/vid_missing/subtitles", json={"language": "fr"}, headers=headers
    )
    viewer = await platform.client.post(
        f"/v1/t/{tenant.id}/videos", json={"title": "x"}, headers=bearer(tenant.tokens["viewer"])
    )

    assert no_feature.status_code == 403
    assert no_video.status_code == 404
    assert viewer.status_code == 403
