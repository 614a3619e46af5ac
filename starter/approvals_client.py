"""The CLI's side of customer links: redeem one through the approvals service's API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from starter.errors import CliError, ExitCode

TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Answer:
    """What the service answered for an accepted or already recorded input."""

    outcome: str
    message: str
    receipt: dict[str, Any] | None

    def as_json(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "message": self.message, "receipt": self.receipt}


async def redeem_link(
    portal_url: str, tenant: str, token: str, as_email: str, fields: dict[str, Any]
) -> Answer:
    """Redeem a personal link as `as_email`.

    Returns:
        The answer when the input was recorded now or before (exit 0).

    Raises:
        CliError: Refused (exit 1), the service unreachable or Temporal busy (exit 3).
    """
    body = {"token": token, "as": as_email, "tenant": tenant, **fields}
    try:
        async with httpx.AsyncClient(base_url=portal_url, timeout=TIMEOUT_SECONDS) as http:
            reply = await http.post("/api/redeem", json=body)
    except httpx.HTTPError as err:
        raise CliError(
            f"the approvals service at {portal_url} did not answer ({type(err).__name__}); "
            "is `onboard dev` running, and does ONBOARDING_PORTAL_URL point at it?",
            ExitCode.UNAVAILABLE,
        ) from None
    try:
        data = reply.json()
        outcome, message = str(data["outcome"]), str(data["message"])
    except (ValueError, KeyError, TypeError):
        raise CliError(
            f"the approvals service answered {reply.status_code} without a verdict; "
            "nothing is known to be recorded",
            ExitCode.UNAVAILABLE,
        ) from None
    if outcome == "refused":
        raise CliError(f"refused: {message}")
    if outcome != "accepted" and outcome != "already_recorded":
        raise CliError(message, ExitCode.UNAVAILABLE)
    receipt = data.get("receipt")
    return Answer(outcome, message, receipt if isinstance(receipt, dict) else None)
