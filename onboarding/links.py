"""Evidence links: an absolute https URL with a host, nothing less (sandbox-safe)."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit, urlunsplit

from pydantic import AfterValidator

from onboarding.limits import EVIDENCE_LINK_MAX
from onboarding.text import allowed_line

_HOST_LABEL = re.compile(r"^(?!-)[^\W_](?:[\w-]{0,61}[^\W_])?$")
"""One DNS label: letters (any script) or digits, inner '-', at most 63 characters."""
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]{0,30}):")
_HINT = "give the https:// link to the recording, document or ticket"


def _valid_host(host: str) -> bool:
    if host.startswith("["):  # an IPv6 literal; urlsplit has checked the brackets
        return host.endswith("]") and len(host) > 2
    labels = host.removesuffix(".").split(".")
    return len(host) <= 253 and all(_HOST_LABEL.match(label) for label in labels)


def evidence_link(value: str) -> str:
    """Return the link normalised (scheme and host in lower case), or refuse it.

    Evidence is an absolute ``https`` URL with a host, at most `EVIDENCE_LINK_MAX`
    characters, one line, no spaces or control characters and no user name or password.
    ``HTTPS://`` is the same scheme; ``http://`` and a bare ``https://`` are refused.

    Raises:
        ValueError: Says what is wrong, never echoing the link itself.
    """
    text = value.strip()
    if len(text) > EVIDENCE_LINK_MAX:
        raise ValueError(
            f"evidence link is {len(text)} characters long; at most {EVIDENCE_LINK_MAX} "
            "are accepted"
        )
    scheme = _SCHEME.match(text)
    if scheme is None or scheme.group(1).lower() != "https":
        kind = f"a {scheme.group(1).lower()} URL" if scheme else "plain text"
        raise ValueError(
            f"evidence must be a link (https://...) to a recording, document or ticket, not {kind}"
        )
    if not allowed_line(text) or any(c.isspace() for c in text):
        raise ValueError(f"evidence link holds spaces, line breaks or control characters; {_HINT}")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ValueError(f"evidence link is not a valid URL; {_HINT}") from None
    host = parts.netloc.rpartition("@")[2]
    if port is not None:
        host = host.rpartition(":")[0]
    if not host or not _valid_host(host):
        raise ValueError(f"evidence link has no valid host name; {_HINT}")
    if "@" in parts.netloc:
        raise ValueError("evidence link holds a user name or password; remove them")
    netloc = host.lower() + (f":{port}" if port is not None else "")
    return urlunsplit(("https", netloc, parts.path, parts.query, parts.fragment))


EvidenceLink = Annotated[str, AfterValidator(evidence_link)]
"""An evidence link, validated and normalised by `evidence_link`."""
