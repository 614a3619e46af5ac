"""No text from people or the platform adds Markdown structure to what we render.

The evidence pack, the customer documents and the review report are rendered twice:
once with every free-text value replaced by hostile text (Markdown, HTML, entities,
control and bidi characters, line breaks), once with the same values replaced by
``x``. A CommonMark parser (with GFM tables) must see the same structure both times:
the same blocks, table cells, links, images, code spans and emphasis, and no HTML
but the ``<br>`` of a multi-line cell.
"""

from __future__ import annotations

import re
import tempfile
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from documents.render import render_all
from onboarding.contract import Contract
from onboarding.review import review_findings
from onboarding.support import support_model_for
from records.db import default_url, make_engine, migrate
from records.export import export_json
from records.markdown import render_markdown
from records.store import RecordsStore
from review.report import render_review_report
from tests.records.builders import contract_summary, finished_onboarding
from tests.records.conftest import RECORDS_KEY
from tests.review.support import healthy_usage

MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
HOSTILE = st.lists(
    st.sampled_from(
        [
            "*",
            "_",
            "**b**",
            "`",
            "[l](https://evil.example)",
            "![i](x)",
            "<b>",
            "</td>",
            "<br>",
            "&amp;",
            "&#x202e;",
            "|",
            "\n",
            "\n\n# h\n",
            "- ",
            "1. ",
            "> ",
            "---",
            "```",
            "~~s~~",
            "$x$",
            "\\",
            "\x1b[31m",
            "\u202e",
            "\x00",
            "\r",
            "    ",
            "a",
            " ",
        ]
    ),
    min_size=1,
    max_size=12,
).map("".join)
KEEP = {"status", "result", "state", "kind", "step", "four_eyes", "run", "seq", "ok"}
"""Keys whose values the templates branch on or compute with: not free text."""


def _benign(text: str) -> str:
    """``x`` for each line of the text that shows something: the same lines, no markup
    (and a space for a text of whitespace only, so template conditions choose alike)."""
    lines = re.split(r"\r\n|[\n\r]", text.strip())
    return "\n".join("x" if line.strip() else "" for line in lines) or " "


def _replaced(value: Any, text: str, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _replaced(v, text, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_replaced(v, text, key) for v in value]
    if isinstance(value, str) and key not in KEEP and not key.endswith(("_at", "as_of")):
        return text
    return value


def _structure(markdown: str) -> list[tuple[str, ...]]:
    """Every token but plain text, with the inline ones that carry structure."""
    shape: list[tuple[str, ...]] = []
    for token in MD.parse(markdown):
        if token.type == "inline":
            for child in token.children or []:
                if child.type == "html_inline" and child.content == "<br>":
                    continue
                if child.type not in ("text", "softbreak"):
                    shape.append((child.type, child.tag))
        else:
            shape.append((token.type, token.tag, token.info))
    return shape


def _assert_same_structure(hostile: str, benign: str) -> None:
    assert _structure(hostile) == _structure(benign)
    assert "\x1b" not in hostile and "\u202e" not in hostile and "\x00" not in hostile


@cache
def _evidence() -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="escaping-"))
    url = default_url(folder)
    migrate(url)
    engine = make_engine(url)
    try:
        store = RecordsStore(engine, RECORDS_KEY)
        finished_onboarding(store, "t-escaping")
        return export_json(store, "t-escaping")
    finally:
        engine.dispose()


@SETTINGS
@given(HOSTILE)
@example("| a | b |\n|---|---|\n| c | d |")
def test_the_evidence_pack_keeps_its_structure_whatever_the_text(text: str) -> None:
    evidence = _evidence()
    _assert_same_structure(
        render_markdown(_replaced(evidence, text)),
        render_markdown(_replaced(evidence, _benign(text))),
    )


def _contract(text: str) -> Contract:
    """The example contract with hostile text in its text fields (bypassing validation,
    as a record written before today's checks could hold)."""
    base = Contract.model_validate(contract_summary())
    return base.model_copy(
        update={
            "tenant": base.tenant.model_copy(update={"name": text}),
            "contract": base.contract.model_copy(update={"reference": text}),
            "data_residency": base.data_residency.model_copy(update={"region": text}),
            "contacts": base.contacts.model_copy(
                update={
                    "admins": [base.contacts.admins[0].model_copy(update={"name": text})],
                    "escalation": [
                        base.contacts.escalation[0].model_copy(update={"name": text, "phone": text})
                    ],
                }
            ),
        }
    )


@SETTINGS
@given(HOSTILE)
def test_the_customer_documents_keep_their_structure(text: str) -> None:
    hostile, benign = _contract(text), _contract(_benign(text))
    pairs = zip(
        render_all(hostile, support_model_for(hostile)),
        render_all(benign, support_model_for(benign)),
        strict=True,
    )
    for bad, good in pairs:
        _assert_same_structure(bad.content, good.content)


@SETTINGS
@given(HOSTILE)
def test_the_review_report_keeps_its_structure(text: str) -> None:
    go_live = datetime(2026, 12, 1, 12, tzinfo=UTC)
    reviewed = datetime(2026, 12, 31, 12, tzinfo=UTC)

    def report(value: str) -> str:
        contract = _contract(value)
        findings = review_findings(contract, healthy_usage())
        return render_review_report(contract, findings, value, go_live, reviewed, feedback_by=value)

    _assert_same_structure(report(text), report(_benign(text)))
