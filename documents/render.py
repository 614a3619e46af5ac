"""Render the customer documents for one tenant, and refuse out-of-date versions."""

from __future__ import annotations

import hashlib
from functools import lru_cache

from jinja2 import Environment
from pydantic import BaseModel, ConfigDict

from documents.catalog import CATALOGUE, document_spec
from documents.context import document_context
from documents.markdown import markdown_environment
from onboarding.contract import Contract
from onboarding.support import SupportModel, duration


class OutdatedDocument(ValueError):
    """A document version that is not the catalogue's current one was to be delivered.

    Attributes:
        key: The document.
        version: The version asked for.
        current: The catalogue's current version.
    """

    def __init__(self, key: str, version: str, current: str) -> None:
        super().__init__(
            f"Refusing to deliver '{key}' version {version}: the current version is {current}. "
            "Render the document again from the current template and deliver that."
        )
        self.key = key
        self.version = version
        self.current = current


class RenderedDocument(BaseModel):
    """One document rendered for one tenant.

    Attributes:
        key: The document's catalogue key.
        title: Its title.
        version: The template version it was rendered from (stated in the content too).
        content: The Markdown text.
        content_hash: SHA-256 of the UTF-8 content, in hex.
    """

    model_config = ConfigDict(frozen=True)

    key: str
    title: str
    version: str
    content: str
    content_hash: str


def content_hash(content: str) -> str:
    """Return the SHA-256 of a document's UTF-8 content, in hex."""
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def check_current(key: str, version: str) -> None:
    """Insist that a document version is the catalogue's current one.

    Raises:
        UnknownDocument: No document has this key.
        OutdatedDocument: The version is not the current one.
    """
    current = document_spec(key).version
    if version != current:
        raise OutdatedDocument(key, version, current)


def render_document(key: str, contract: Contract, support: SupportModel) -> RenderedDocument:
    """Render one document for the contract's tenant from its current template.

    Args:
        key: The document's catalogue key.
        contract: The tenant's contract.
        support: The tenant's support model (`onboarding.support.support_model_for`).

    Raises:
        UnknownDocument: No document has this key.
        ValueError: The support model belongs to another tenant.
    """
    spec = document_spec(key)
    template = _environment().get_template(spec.template)
    content = template.render(document=spec, **document_context(contract, support))
    return RenderedDocument(
        key=spec.key,
        title=spec.title,
        version=spec.version,
        content=content,
        content_hash=content_hash(content),
    )


def render_all(contract: Contract, support: SupportModel) -> list[RenderedDocument]:
    """Render every catalogue document for the tenant, in catalogue order."""
    return [render_document(spec.key, contract, support) for spec in CATALOGUE]


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return markdown_environment("documents", duration=duration)
