"""Worker versioning: which Worker Deployment version this worker is, and how it behaves.

With `ONBOARDING_DEPLOYMENT_NAME` set, the worker joins that Worker Deployment as the
version `<name>.<build id>`, the build id being the package version (or
`ONBOARDING_BUILD_ID`). Onboardings are AUTO_UPGRADE: they live for 30 days and more, so
pinning each to the build that started it would keep every old build running for
months; instead, once a new version is made current, each onboarding moves to it at its
next workflow task, and changes to in-flight logic are guarded with `workflow.patched`
(docs/versioning.md). Without a deployment name the worker is unversioned, as on a laptop.
"""

from __future__ import annotations

import asyncio
from importlib.metadata import PackageNotFoundError, version

import structlog
from temporalio.api.workflowservice.v1 import SetWorkerDeploymentCurrentVersionRequest
from temporalio.client import Client
from temporalio.common import VersioningBehavior, WorkerDeploymentVersion
from temporalio.service import RPCError
from temporalio.worker import WorkerDeploymentConfig

log = structlog.get_logger("versioning")

DISTRIBUTION = "localizevideos-onboarding"
BEHAVIOUR = VersioningBehavior.AUTO_UPGRADE
"""For onboardings, which outlive many releases (see the module docstring)."""


def package_version() -> str:
    """The installed package's version, e.g. `0.1.0`."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "0.0.0+source"


def deployment_version(name: str, build_id: str | None = None) -> WorkerDeploymentVersion:
    """The version `<name>.<build id>`; the build id defaults to the package version."""
    return WorkerDeploymentVersion(deployment_name=name, build_id=build_id or package_version())


def deployment_config(
    name: str | None, build_id: str | None = None
) -> WorkerDeploymentConfig | None:
    """The worker's deployment options, or None (unversioned) without a deployment name."""
    if not name:
        return None
    return WorkerDeploymentConfig(
        version=deployment_version(name, build_id),
        use_worker_versioning=True,
        default_versioning_behavior=BEHAVIOUR,
    )


async def promote(
    client: Client, version: WorkerDeploymentVersion, wait_seconds: float = 120
) -> None:
    """Make ``version`` its deployment's current version, once Temporal sees its pollers.

    AUTO_UPGRADE onboardings move to it at their next workflow task; the version it
    replaces drains. Used by a worker started with `ONBOARDING_DEPLOYMENT_PROMOTE=true`
    (the newest worker to start wins, as in a rolling update; a rollback is a rollout
    of the previous image), or by hand with `temporal worker deployment set-current-version`.

    Raises:
        RPCError: Temporal still refused after ``wait_seconds`` (no pollers, no rights).
    """
    deadline = asyncio.get_running_loop().time() + wait_seconds
    while True:
        try:
            await client.workflow_service.set_worker_deployment_current_version(
                SetWorkerDeploymentCurrentVersionRequest(
                    namespace=client.namespace,
                    deployment_name=version.deployment_name,
                    build_id=version.build_id,
                    identity=client.identity,
                )
            )
        except RPCError as err:
            if asyncio.get_running_loop().time() > deadline:
                raise
            name = version.to_canonical_string()
            log.info("version not current yet", version=name, error=err.message)
            await asyncio.sleep(1.0)
        else:
            log.info("version is current", version=version.to_canonical_string())
            return


if __name__ == "__main__":  # `python -m worker.versioning`: this image's build id
    import os

    print(os.environ.get("ONBOARDING_BUILD_ID", "").strip() or package_version())
