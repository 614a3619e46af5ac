"""Every platform activity, bound to its clients, for the worker to register."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from activities.documents import DocumentActivities
from activities.environment import EnvironmentActivities
from activities.features import FeatureActivities
from activities.golive import GoLiveActivities
from activities.identity import IdentityActivities
from activities.platform import PlatformClient, ProbeConfig
from activities.provisioning import ProvisioningActivities
from activities.readiness import ReadinessActivities


def platform_activities(
    platform: PlatformClient, probe: ProbeConfig, artifacts_dir: Path | None = None
) -> list[Callable[..., Any]]:
    """Return the bound activity methods that call the platform.

    Args:
        platform: The platform client the worker owns.
        probe: Probe settings shared by every activity.
        artifacts_dir: Where delivered customer documents are stored (one folder per
            tenant); ``.onboarding/artifacts`` when left out.

    Returns:
        ``check_internal_readiness``, ``provision_account``, ``verify_access_identity``,
        ``validate_environment``, ``enable_features``, ``verify_monitoring``,
        ``activate_tenant``, ``gather_usage``, ``register_support`` and
        ``deliver_documents``.
    """
    readiness = ReadinessActivities(platform, probe)
    provisioning = ProvisioningActivities(platform, probe)
    identity = IdentityActivities(platform, probe)
    environment = EnvironmentActivities(platform, probe)
    features = FeatureActivities(platform, probe)
    golive = GoLiveActivities(platform, probe)
    documents = DocumentActivities(platform, probe, artifacts_dir)
    return [
        readiness.check_internal_readiness,
        provisioning.provision_account,
        identity.verify_access_identity,
        environment.validate_environment,
        features.enable_features,
        golive.verify_monitoring,
        golive.activate_tenant,
        golive.gather_usage,
        documents.register_support,
        documents.deliver_documents,
    ]
