"""User-facing failures of the CLI: a sentence and an exit code, never a traceback."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    REFUSED = 1
    """Invalid input, an unauthorised sender, a gate not open, a duplicate tenant."""
    USAGE = 2
    UNAVAILABLE = 3
    """Temporal, the worker or the platform cannot be reached."""
    NOT_FOUND = 4
    """No onboarding for that tenant."""
    TAMPERED = 5
    """The records store's hash chain or a stored signature does not verify."""
    BUSY = 6
    """The onboarding has as many inputs in flight as Temporal allows; try again shortly."""


class CliError(Exception):
    """Stop the command: print ``message`` (and ``details``) to stderr, exit with ``code``."""

    def __init__(
        self, message: str, code: ExitCode = ExitCode.REFUSED, details: list[str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = details or []
