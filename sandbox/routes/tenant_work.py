"""Steps 4-5 tenant API: ping, events, what users see, features and the critical flow."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, HTTPException
from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox import faults, jobs, rbac
from sandbox.deps import Ctx, CurrentUser, IdempotencyKey, Principal
from sandbox.faults import Fault
from sandbox.journal import record_operation, write_log
from sandbox.models import Feature, FeatureUse, Job, TenantFeature, Video, utcnow
from sandbox.routes.accounts import enabled_features
from sandbox.schemas import (
    AcceptedOut,
    EventIn,
    FeatureAccessOut,
    FeaturesIO,
    JobOut,
    PingOut,
    SubtitlesIn,
    VideoIn,
    VideoOut,
)

router = APIRouter(prefix="/v1/t/{tenant_id}", tags=["tenant work"])

SUBTITLES = "subtitles"


def _require_role(user: Principal, doing: str) -> None:
    if not rbac.holds_at_least(user.roles, rbac.FEATURE_ROLE):
        raise HTTPException(
            status_code=403,
            detail=f"Role(s) {', '.join(user.roles)} may not {doing}; "
            f"it needs {rbac.FEATURE_ROLE} or above.",
        )


def _is_enabled(session: Session, tenant_id: str, key: str) -> bool:
    return session.get(TenantFeature, (tenant_id, key)) is not None


def _note_use(session: Session, user: Principal, key: str) -> None:
    """Count a feature as used by the customer (probe users do not count)."""
    if not user.probe and session.get(FeatureUse, (user.tenant_id, key)) is None:
        session.add(FeatureUse(tenant_id=user.tenant_id, feature_key=key, first_used_at=utcnow()))


@router.get("/ping")
def ping(user: CurrentUser) -> PingOut:
    """A cheap authenticated call (rate-limited like every tenant call)."""
    return PingOut(ok=True)


@router.post("/events", status_code=202)
def post_event(
    body: EventIn, user: CurrentUser, ctx: Ctx, idempotency_key: IdempotencyKey = None
) -> AcceptedOut:
    """Accept an event; the platform writes a log line with its marker."""
    with ctx.db.write() as session:
        write_log(session, user.tenant_id, f"event received from {user.email}: {body.marker}")
        record_operation(session, user.tenant_id, "post_event", idempotency_key)
    return AcceptedOut(accepted=True)


@router.get("/ui-manifest")
def ui_manifest(user: CurrentUser, ctx: Ctx) -> FeaturesIO:
    """The features the tenant's users see in the UI."""
    with ctx.db.read() as session:
        features = enabled_features(session, user.tenant_id)
        if features and faults.is_active(session, Fault.FEATURE_NOT_VISIBLE, user.tenant_id):
            features = features[1:]
    return FeaturesIO(features=features)


@router.get("/features/{key}")
def use_feature(key: str, user: CurrentUser, ctx: Ctx) -> FeatureAccessOut:
    """200 when the feature is enabled and the caller is editor or above, else 403."""
    with ctx.db.write() as session:
        if session.get(Feature, key) is None:
            raise HTTPException(status_code=404, detail=f"There is no feature '{key}'.")
        if not _is_enabled(session, user.tenant_id, key):
            raise HTTPException(
                status_code=403, detail=f"Feature '{key}' is not enabled for this tenant."
            )
        _require_role(user, "use features")
        _note_use(session, user, key)
    return FeatureAccessOut(key=key, enabled=True)


@router.post("/videos", status_code=201)
def upload_video(
    body: VideoIn, user: CurrentUser, ctx: Ctx, idempotency_key: IdempotencyKey = None
) -> VideoOut:
    """Register an uploaded video."""
    _require_role(user, "upload videos")
    video_id = f"vid_{uuid.uuid4().hex[:12]}"
    with ctx.db.write() as session:
        session.add(
            Video(
                video_id=video_id,
                tenant_id=user.tenant_id,
                title=body.title,
                uploaded_by=user.email,
                created_at=utcnow(),
            )
        )
        record_operation(session, user.tenant_id, "create_video", idempotency_key)
        write_log(session, user.tenant_id, f"video {video_id} uploaded by {user.email}")
    return VideoOut(video_id=video_id)


@router.post("/videos/{video_id}/subtitles", status_code=202)
def order_subtitles(
    video_id: str,
    body: SubtitlesIn,
    user: CurrentUser,
    ctx: Ctx,
    idempotency_key: IdempotencyKey = None,
) -> JobOut:
    """Queue a subtitles job for the video (the tenant needs feature ``subtitles``)."""
    _require_role(user, "order subtitles")
    job_id = f"job_{uuid.uuid4().hex[:12]}"
    with ctx.db.write() as session:
        if not _is_enabled(session, user.tenant_id, SUBTITLES):
            raise HTTPException(
                status_code=403, detail="Feature 'subtitles' is not enabled for this tenant."
            )
        video = session.get(Video, video_id)
        if video is None or video.tenant_id != user.tenant_id:
            raise HTTPException(status_code=404, detail=f"There is no video '{video_id}'.")
        session.add(
            Job(
                job_id=job_id,
                tenant_id=user.tenant_id,
                video_id=video_id,
                language=body.language,
                probe=user.probe,
                created_at=utcnow(),
                status="queued",
            )
        )
        _note_use(session, user, SUBTITLES)
        record_operation(session, user.tenant_id, "create_subtitle_job", idempotency_key)
        write_log(session, user.tenant_id, f"subtitles job {job_id} queued ({body.language})")
    return JobOut(job_id=job_id, status="queued", video_id=video_id, language=body.language)


@router.get("/jobs/{job_id}")
def get_job(job_id: str, user: CurrentUser, ctx: Ctx) -> JobOut:
    """The job's status; it completes within about half a second."""
    with ctx.db.write() as session:
        job = session.scalar(
            select(Job).where(Job.job_id == job_id, Job.tenant_id == user.tenant_id)
        )
        if job is None:
            raise HTTPException(status_code=404, detail=f"There is no job '{job_id}'.")
        status = jobs.settle(session, job, utcnow())
        return JobOut(
            job_id=job.job_id,
            status=status,
            video_id=job.video_id,
            language=job.language,
        )
