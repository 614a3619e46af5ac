"""Recent tenant API traffic: latencies and server errors, for usage and status figures."""

from __future__ import annotations

import math
import threading
from collections import deque

_KEEP = 1000
"""Requests remembered per tenant (and overall)."""


class _Series:
    def __init__(self) -> None:
        self.latencies_ms: deque[float] = deque(maxlen=_KEEP)
        self.errors: deque[bool] = deque(maxlen=_KEEP)


def _p95(values: list[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)], 2)


def _rate(flags: list[bool]) -> float:
    return round(sum(flags) / len(flags), 4) if flags else 0.0


class RequestStats:
    """Thread-safe sliding record of the last requests per tenant and overall."""

    def __init__(self) -> None:
        self._by_tenant: dict[str, _Series] = {}
        self._overall = _Series()
        self._lock = threading.Lock()

    def record(self, tenant_id: str, latency_ms: float, status_code: int) -> None:
        """Remember one tenant API response."""
        with self._lock:
            series = self._by_tenant.setdefault(tenant_id, _Series())
            for target in (series, self._overall):
                target.latencies_ms.append(latency_ms)
                target.errors.append(status_code >= 500)

    def latency_p95(self, tenant_id: str) -> float:
        """95th percentile latency in ms of the tenant's recent requests (0 when none)."""
        with self._lock:
            series = self._by_tenant.get(tenant_id)
            return _p95(list(series.latencies_ms)) if series else 0.0

    def error_rate(self, tenant_id: str | None = None) -> float:
        """Share of recent responses that were 5xx, for a tenant or overall."""
        with self._lock:
            series = self._overall if tenant_id is None else self._by_tenant.get(tenant_id)
            return _rate(list(series.errors)) if series else 0.0
