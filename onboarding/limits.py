"""Caps on every field people write: the contract, the roster and the human inputs.

One place for the numbers, so the models, the YAML reader and docs/contract.md agree.
Each cap is far above any real onboarding and far below what would hurt the shared
worker, Temporal's 2 MB payload limit or the platform (see docs/contract.md, "Limits").
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Final

from pydantic import AfterValidator, Field

from onboarding.text import check_line, check_lines

# ------------------------------------------------------------------- the YAML files

CONTRACT_FILE_MAX_BYTES: Final = 64 * 1024
"""A contract file is a page of YAML; the largest allowed one is about 40 KiB."""
ROSTER_FILE_MAX_BYTES: Final = 1024 * 1024
"""The roster holds every member of staff (and their public keys)."""
YAML_MAX_DEPTH: Final = 10
"""Nesting of mappings and lists; a contract needs 4, the roster 5."""
YAML_MAX_NODES: Final = 20_000
"""Scalars, mappings and lists in one file."""

# ------------------------------------------------------------------- the contract

TENANT_NAME_MAX: Final = 200
CONTRACT_REFERENCE_MAX: Final = 100
REGION_MAX: Final = 40
REGION_PATTERN: Final = r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$"
"""A platform region name such as ``eu-central``: lowercase letters, digits and '-'."""
FEATURES_MAX: Final = 50
"""The platform's catalogue has ten features; a contract lists each at most once."""
FEATURE_KEY_MAX: Final = 64
FEATURE_PATTERN: Final = r"^[a-z][a-z0-9_]{0,63}$"
"""A feature key such as ``api_access``: lowercase letters, digits and '_'."""
SEATS_MAX: Final = 100_000
"""Named users; the largest sandbox region holds 12,000."""
RATE_LIMIT_MAX: Final = 100_000
"""API requests per minute (about 1,700 a second); the platform accepts up to 1,000,000."""
ADMINS_MAX: Final = 20
"""Named customer admins: each is provisioned, probed and reminded one by one."""
ESCALATION_MAX: Final = 10
PERSON_NAME_MAX: Final = 200
EMAIL_MAX: Final = 254
"""RFC 5321's limit on a forward path."""
EMAIL_LOCAL_MAX: Final = 64
PHONE_MAX: Final = 32
EARLIEST_DATE: Final = date(2000, 1, 1)
"""No contract, approval or questionnaire of this platform is older."""
LATEST_DATE: Final = date(2099, 12, 31)
"""The upper bound when no "today" is known (the CLI also refuses any future date)."""

# ------------------------------------------------------------------- the roster

ROSTER_PEOPLE_MAX: Final = 500
ROSTER_ROLES_MAX: Final = 4
"""Each role at most once (there are four)."""

# ------------------------------------------------------------------- human inputs

NOTE_MAX: Final = 2_000
"""A sign-off or decision note, a deadline or deviation reason."""
FEEDBACK_MAX: Final = 10_000
EVIDENCE_LINK_MAX: Final = 2_000
"""Browsers and ticketing systems handle links up to about 2,000 characters."""

PersonName = Annotated[
    str, Field(min_length=1, max_length=PERSON_NAME_MAX), AfterValidator(check_line)
]
"""A person's name: one line, no control characters."""
Note = Annotated[str, Field(max_length=NOTE_MAX), AfterValidator(check_lines)]
"""A note or a reason: line breaks allowed, no control characters."""
FeedbackText = Annotated[
    str, Field(min_length=1, max_length=FEEDBACK_MAX), AfterValidator(check_lines)
]
"""Review feedback: line breaks allowed, no control characters."""
