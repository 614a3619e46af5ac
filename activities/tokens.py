"""Token manipulation for security probes: make a token the platform must refuse."""

from __future__ import annotations

# Characters that stay distinct under every likely signature encoding (hex in either
# case, base64, base64url): a character is swapped for its neighbour in the same group.
_GROUPS = (
    "0123456789",
    "abcdef",
    "ABCDEF",
    "ghijklmnopqrstuvwxyz",
    "GHIJKLMNOPQRSTUVWXYZ",
    "-_",
    "+/",
)


def _other(char: str) -> str:
    for group in _GROUPS:
        if char in group:
            return group[(group.index(char) + 1) % len(group)]
    return "A"


def tamper(token: str) -> str:
    """Return the token with one character of its signature changed.

    The first signature character is changed: every bit of it is significant in hex
    and base64 alike (the last one may carry padding bits a lenient decoder ignores).
    A token without a ``.`` has its middle character changed.
    """
    payload, dot, signature = token.rpartition(".")
    if dot and signature:
        return f"{payload}.{_other(signature[0])}{signature[1:]}"
    middle = len(token) // 2
    return token[:middle] + _other(token[middle : middle + 1] or "A") + token[middle + 1 :]
