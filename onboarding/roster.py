"""The roster of internal staff and the roles that authorise their inputs."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from onboarding.contract import Email
from onboarding.keys import PublicKeyText
from onboarding.limits import ROSTER_PEOPLE_MAX, ROSTER_ROLES_MAX, PersonName


class Role(StrEnum):
    """What a member of staff may do in an onboarding."""

    ONBOARDING_OWNER = "onboarding_owner"
    CSM = "csm"
    PLATFORM_APPROVER = "platform_approver"
    SUPPORT_LEAD = "support_lead"


MAX_KEYS = 4
"""Public keys one person may have on the roster at once (rotation needs two)."""


class Person(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    name: PersonName
    email: Email
    roles: list[Role] = Field(min_length=1, max_length=ROSTER_ROLES_MAX)
    public_keys: list[PublicKeyText] = Field(default_factory=list, max_length=MAX_KEYS)
    """Their Ed25519 public keys (`onboard keygen` prints one). Someone without a key can do
    nothing: every input must be signed. Several keys let one be rotated in before the old
    one is removed; removing a key revokes it."""

    @field_validator("public_keys")
    @classmethod
    def _distinct_keys(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("lists the same public key twice")
        return value

    @field_validator("roles")
    @classmethod
    def _distinct_roles(cls, value: list[Role]) -> list[Role]:
        if len(set(value)) != len(value):
            raise ValueError("lists the same role twice")
        return value


class Roster(BaseModel):
    """Everyone at LocalizeVideos who may act in an onboarding, with their roles."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    people: list[Person] = Field(min_length=1, max_length=ROSTER_PEOPLE_MAX)

    @field_validator("people")
    @classmethod
    def _distinct(cls, value: list[Person]) -> list[Person]:
        emails = [p.email for p in value]
        if len(set(emails)) != len(emails):
            raise ValueError("lists the same e-mail twice; give each person one entry")
        keys = [k for p in value for k in p.public_keys]
        if len(set(keys)) != len(keys):
            raise ValueError("gives two people the same public key; each person has their own")
        return value

    def find(self, email: str) -> Person | None:
        wanted = email.strip().lower()
        return next((p for p in self.people if p.email == wanted), None)

    def keys_by_person(self) -> dict[str, tuple[str, ...]]:
        """Every person's public keys, by e-mail (for verifying their signatures)."""
        return {p.email: tuple(p.public_keys) for p in self.people}

    def has_role(self, email: str, role: Role) -> bool:
        person = self.find(email)
        return person is not None and role in person.roles
