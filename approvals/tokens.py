"""Link tokens: `<link id>.<tag>`, the tag an HMAC of the id under the link key.

Nothing secret is stored: the database holds link ids, and only the link key (a file
outside the database) turns an id into a working token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from urllib.parse import urlsplit

LINK_PATH = "/l/"
_TOKEN = re.compile(r"^([0-9a-f]{32})\.([A-Za-z0-9_-]{43})$")


def link_id_for(notification_key: str) -> str:
    """The link id of the invite with this key (stable: a resent invite has the same link)."""
    return hashlib.sha256(f"customer-link:{notification_key}".encode()).hexdigest()[:32]


def token_for(link_key: bytes, link_id: str) -> str:
    """The secret token of a link id."""
    tag = hmac.new(link_key, f"customer-link:{link_id}".encode(), hashlib.sha256).digest()
    return f"{link_id}.{base64.urlsafe_b64encode(tag).decode().rstrip('=')}"


def link_url(portal_url: str, token: str) -> str:
    """The link as sent: the portal's address and the token."""
    return f"{portal_url.rstrip('/')}{LINK_PATH}{token}"


def token_from(text: str) -> str | None:
    """The token in what a person pasted: the whole link as it arrived, or the token alone."""
    text = text.strip()
    if LINK_PATH in text:
        path = urlsplit(text).path if "://" in text else text
        text = path.rsplit(LINK_PATH, 1)[-1].strip("/")
    return text if _TOKEN.match(text) else None


def checked_link_id(link_key: bytes, token: str) -> str | None:
    """The link id of a genuine token, or None for a forged or mangled one."""
    found = _TOKEN.match(token)
    if found is None:
        return None
    link_id = found.group(1)
    return link_id if hmac.compare_digest(token_for(link_key, link_id), token) else None
