"""Roles, the actions they may take, and the rule that decides."""

from __future__ import annotations

from collections.abc import Iterable

ROLES: tuple[str, ...] = ("viewer", "editor", "manager", "admin")
"""Lowest to highest; a role may do everything the roles before it may."""

ACTIONS: dict[str, str] = {
    "view_projects": "viewer",
    "edit_subtitles": "editor",
    "publish_video": "manager",
    "manage_users": "admin",
    "manage_billing": "admin",
    "configure_security": "admin",
}
"""Each action and the lowest role allowed to take it."""

FEATURE_ROLE = "editor"
"""The lowest role that may use features (and upload videos, order subtitles)."""


def rank(role: str) -> int:
    """Position of ``role`` in :data:`ROLES` (-1 when unknown)."""
    return ROLES.index(role) if role in ROLES else -1


def holds_at_least(roles: Iterable[str], lowest: str) -> bool:
    """Whether any of ``roles`` is ``lowest`` or above."""
    return max((rank(r) for r in roles), default=-1) >= rank(lowest)


def allowed(roles: Iterable[str], action: str) -> bool:
    """Whether a user holding ``roles`` may take ``action`` (a known action)."""
    return holds_at_least(roles, ACTIONS[action])


def matrix() -> dict[str, list[str]]:
    """Every action and all the roles allowed to take it."""
    return {
        action: [role for role in ROLES if rank(role) >= rank(lowest)]
        for action, lowest in ACTIONS.items()
    }


def canonical(roles: Iterable[str]) -> list[str]:
    """``roles`` without duplicates, lowest first."""
    return sorted(set(roles), key=rank)
