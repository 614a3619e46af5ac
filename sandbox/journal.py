"""The two records the platform keeps of what happened: the operations log and the tenant log.

Both are written in the caller's transaction, so they commit (or not) with the side effect.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from sandbox import faults
from sandbox.faults import Fault
from sandbox.models import LogLine, Operation, utcnow

NOOP_SUFFIX = ".noop"
"""Appended to the operation name of a call that changed nothing (an idempotent repeat)."""

logger = logging.getLogger("sandbox.platform")


def record_operation(
    session: Session,
    tenant_id: str,
    operation: str,
    idempotency_key: str | None,
    *,
    changed: bool = True,
) -> None:
    """Add a mutating call to the operations log (``.noop`` suffixed when it changed nothing)."""
    name = operation if changed else operation + NOOP_SUFFIX
    session.add(
        Operation(at=utcnow(), tenant_id=tenant_id, operation=name, idempotency_key=idempotency_key)
    )


def write_log(session: Session, tenant_id: str, message: str) -> None:
    """Write one line to the tenant's searchable log (and to the process log).

    Never pass secrets (tokens, passwords) in ``message``.
    """
    if faults.is_active(session, Fault.LOGGING_DROPPED, tenant_id):
        return
    session.add(LogLine(at=utcnow(), tenant_id=tenant_id, message=message))
    logger.info("[%s] %s", tenant_id, message)
