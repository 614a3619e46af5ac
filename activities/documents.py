"""PHASE-33 Step 6 evidence: the support model registered, the customer documents delivered.

`register_support` registers the contract's support and escalation model with the
platform's support system (an idempotent PUT, read back). `deliver_documents` renders the
five customer documents from their current templates and stores each one as
``<artifacts_dir>/<tenant>/<key>-<version>.md``; the same content always lands in the same
file, so a retried activity changes nothing. It then publishes the four enablement items,
each with the documents that provide it, to the tenant's enablement library on the platform
(idempotent PUTs, read back; see `activities.enablement`).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import quote

from temporalio import activity

from activities.artifacts import store_text
from activities.enablement import CHECK as ENABLEMENT_CHECK
from activities.enablement import publish_enablement
from activities.evidence import (
    NOT_RUN,
    check,
    guarded,
    log_checks,
    not_run,
    retry_hint,
    step_logger,
)
from activities.heartbeat import heartbeating
from activities.platform import PlatformClient, ProbeConfig
from activities.result_size import size_bounded
from documents import OutdatedDocument, RenderedDocument, check_current, render_all
from onboarding.checks import CheckResult, StepRequest, StepResult
from onboarding.support import registration, registration_differences, support_model_for

DEFAULT_ARTIFACTS_DIR = Path(".onboarding/artifacts")


class DocumentActivities:
    """Support registration and customer documents.

    Args:
        platform: The platform client.
        probe: Probe settings (unused here; every activity class takes the same pair).
        artifacts_dir: Folder the delivered documents are stored under, one subfolder per
            tenant; ``.onboarding/artifacts`` when left out.
    """

    def __init__(
        self, platform: PlatformClient, probe: ProbeConfig, artifacts_dir: Path | None = None
    ) -> None:
        self.platform = platform
        self.probe = probe
        self.artifacts_dir = artifacts_dir if artifacts_dir is not None else DEFAULT_ARTIFACTS_DIR

    @activity.defn(name="register_support")
    @heartbeating
    @size_bounded
    async def register_support(self, req: StepRequest) -> StepResult:
        """Register the support and escalation model with the platform and read it back."""
        log = step_logger(req)
        model = support_model_for(req.contract)
        body = registration(model)
        facts: dict[str, Any] = {"support": model.model_dump(mode="json")}
        path = f"/v1/tenants/{quote(req.tenant_id, safe='')}/support"

        async def registered() -> CheckResult:
            await self.platform.admin_ok(
                "PUT", path, json=body, idempotency_key=req.idempotency_key
            )
            stored = await self.platform.admin_ok("GET", path)
            differences = registration_differences(body, stored)
            if differences:
                return check(
                    "support_registered",
                    False,
                    f"The support registration of tenant {req.tenant_id} reads back different "
                    f"in {', '.join(differences)}; check the platform's support system, then "
                    f"run {retry_hint(req)}.",
                    expected=body,
                    observed=stored,
                )
            if isinstance(stored, dict) and stored.get("registered_at"):
                facts["support_registered_at"] = stored["registered_at"]
            return check(
                "support_registered",
                True,
                f"Tenant {req.tenant_id} is registered with support: {model.tier.value} tier "
                f"via {model.primary_channel}, {len(model.escalation_contacts)} escalation "
                f"contact(s), {len(model.severities)} severities.",
                expected=body,
                observed=stored,
            )

        result = await guarded("support_registered", req, body, registered)
        log_checks(log, [result])
        return StepResult(checks=[result], facts=facts)

    @activity.defn(name="deliver_documents")
    @heartbeating
    @size_bounded
    async def deliver_documents(self, req: StepRequest) -> StepResult:
        """Render the customer documents, store them, and publish the enablement items.

        Returns:
            The checks ``documents_current``, ``documents_stored`` and
            ``enablement_items_published`` (not run when a document is outdated or could not
            be stored: only delivered documents are published), and the fact ``documents``.

        Raises:
            PlatformUnavailable: The platform could not be reached while publishing; the
                documents are stored by then, and the retry finds them unchanged.
        """
        log = step_logger(req)
        documents = render_all(req.contract, support_model_for(req.contract))
        recipients = [a.email for a in req.contract.contacts.admins]
        folder = self.artifacts_dir / req.tenant_id
        current = _current(req, documents)

        delivered: list[dict[str, Any]] = []
        problems: list[str] = []
        for doc in documents:
            path = folder / f"{doc.key}-{doc.version}.md"
            try:
                stored_hash = await asyncio.to_thread(store_text, path, doc.content)
            except OSError as error:
                problems.append(f"{path}: {error.strerror or error}")
                stored_hash = None
            else:
                if stored_hash != doc.content_hash:
                    problems.append(f"{path} holds content of hash {stored_hash}")
            delivered.append(
                {
                    "key": doc.key,
                    "title": doc.title,
                    "version": doc.version,
                    "content_hash": doc.content_hash,
                    "path": str(path.resolve()),
                    "recipients": recipients,
                }
            )
        stored = _stored(req, delivered, problems)
        facts: dict[str, Any] = {"documents": delivered}
        if current.passed and stored.passed:
            published = await publish_enablement(self.platform, req, delivered)
        else:
            published = not_run(
                ENABLEMENT_CHECK,
                "the enablement items are published only with current, stored documents; "
                f"fix the failed document check, then run {retry_hint(req)}.",
            )
            facts[NOT_RUN] = [ENABLEMENT_CHECK]
        checks = [current, stored, published]
        log_checks(log, checks)
        return StepResult(checks=checks, facts=facts)


def _current(req: StepRequest, documents: list[RenderedDocument]) -> CheckResult:
    versions = {d.key: d.version for d in documents}
    refusals: list[str] = []
    for doc in documents:
        try:
            check_current(doc.key, doc.version)
        except OutdatedDocument as error:
            refusals.append(str(error))
    if refusals:
        return check(
            "documents_current",
            False,
            f"{' '.join(refusals)} Then run {retry_hint(req)}.",
            expected="every document rendered from its current template version",
            observed=versions,
        )
    return check(
        "documents_current",
        True,
        f"All {len(documents)} customer documents were rendered from their current "
        f"template versions: {', '.join(f'{k} {v}' for k, v in versions.items())}.",
        expected="every document rendered from its current template version",
        observed=versions,
    )


def _stored(req: StepRequest, delivered: list[dict[str, Any]], problems: list[str]) -> CheckResult:
    observed = {d["key"]: {"path": d["path"], "content_hash": d["content_hash"]} for d in delivered}
    expected = "every document stored with its stated content hash"
    if problems:
        return check(
            "documents_stored",
            False,
            f"Customer documents could not be stored ({'; '.join(problems)}); make the "
            f"artifacts folder writable, then run {retry_hint(req)}.",
            expected=expected,
            observed=observed,
        )
    folder = Path(delivered[0]["path"]).parent if delivered else None
    return check(
        "documents_stored",
        True,
        f"{len(delivered)} customer documents are stored in {folder}, each with its stated "
        "content hash.",
        expected=expected,
        observed=observed,
    )
