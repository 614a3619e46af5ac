"""Customer documents (PHASE-33 "Documentation Provided to Customers"), versioned.

Each document is rendered per tenant from a versioned Jinja2 template; the rendered
document names its template version and carries the SHA-256 of its content.
"""

from documents.catalog import CATALOGUE, DocumentSpec, UnknownDocument, document_spec
from documents.render import (
    OutdatedDocument,
    RenderedDocument,
    check_current,
    content_hash,
    render_all,
    render_document,
)

__all__ = [
    "CATALOGUE",
    "DocumentSpec",
    "OutdatedDocument",
    "RenderedDocument",
    "UnknownDocument",
    "check_current",
    "content_hash",
    "document_spec",
    "render_all",
    "render_document",
]
