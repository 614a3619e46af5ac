"""Subtitle jobs: queued, then running, then finished when read after their processing time.

There is no worker: a job's state follows from its age, and the outcome is fixed (and stored)
the first time it is read once finished, so it never changes afterwards.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox import faults
from sandbox.faults import Fault
from sandbox.journal import write_log
from sandbox.models import Job

QUEUED_FOR = timedelta(seconds=0.05)
PROCESSING_TIME = timedelta(seconds=0.3)
FINAL = ("completed", "failed")


def settle(session: Session, job: Job, now: datetime) -> str:
    """The job's status at ``now``; a finished job's outcome is stored on the first read."""
    if job.status in FINAL:
        return job.status
    age = now - job.created_at
    if age < QUEUED_FOR:
        return "queued"
    if age < PROCESSING_TIME:
        return "running"
    broken = faults.is_active(session, Fault.CRITICAL_FLOW_BROKEN, job.tenant_id)
    job.status = "failed" if broken else "completed"
    job.finished_at = now
    write_log(session, job.tenant_id, f"subtitles job {job.job_id} {job.status}")
    return job.status


def settle_due(session: Session, tenant_id: str, now: datetime) -> None:
    """Store the outcome of every finished but unread job of the tenant."""
    pending = select(Job).where(
        Job.tenant_id == tenant_id,
        Job.status.not_in(FINAL),
        Job.created_at <= now - PROCESSING_TIME,
    )
    for job in session.scalars(pending):
        settle(session, job, now)
