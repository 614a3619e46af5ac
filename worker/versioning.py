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

from importlib.metadata import PackageNotFoundError, version

from temporalio.common import VersioningBehavior, WorkerDeploymentVersion
from temporalio.worker import WorkerDeploymentConfig

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
