"""The roster of internal staff and the roles that authorise their inputs."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from onboarding.contract import Email


class Role(StrEnum):
    """What a member of staff may do in an onboarding."""

    ONBOARDING_OWNER = "onboarding_owner"
    CSM = "csm"
    PLATFORM_APPROVER = "platform_approver"
    SUPPORT_LEAD = "support_lead"


class Person(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    name: str = Field(min_length=1)
    email: Email
    roles: list[Role] = Field(min_length=1)


class Roster(BaseModel):
    """Everyone at LocalizeVideos who may act in an onboarding, with their roles."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    people: list[Person] = Field(min_length=1)

    @field_validator("people")
    @classmethod
    def _distinct(cls, value: list[Person]) -> list[Person]:
        emails = [p.email for p in value]
        if len(set(emails)) != len(emails):
            raise ValueError("lists the same e-mail twice; give each person one entry")
        return value

    def find(self, email: str) -> Person | None:
        wanted = email.strip().lower()
        return next((p for p in self.people if p.email == wanted), None)

    def has_role(self, email: str, role: Role) -> bool:
        person = self.find(email)
        return person is not None and role in person.roles
