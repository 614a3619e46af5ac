"""The report as Markdown: tables, a Mermaid Gantt, and the charts as linked images."""

from __future__ import annotations

from portfolio.mermaid import open_gantt
from portfolio.model import Report
from portfolio.outline import Table, outline, summary

_ESCAPES = (
    ("\\", "\\\\"),
    ("<", "&lt;"),
    (">", "&gt;"),
    ("[", "\\["),
    ("]", "\\]"),
    ("`", "\\`"),
)


def render_markdown(report: Report, images: dict[str, str] | None = None) -> str:
    """Return the report as Markdown.

    Args:
        report: The report.
        images: Chart name to image path (relative to the Markdown file), when the charts
            were written as PNG files; without it the Markdown has the Mermaid Gantt only.
    """
    images = images or {}
    lines = ["# Onboarding portfolio report", "", _text(summary(report)), ""]
    for section in outline(report):
        lines += [f"## {section.title}", ""]
        for paragraph in section.paragraphs:
            lines += [_text(paragraph), ""]
        if section.chart and section.chart in images:
            lines += [f"![{section.chart}]({images[section.chart]})", ""]
        if section.gantt:
            lines += ["```mermaid", open_gantt(report).rstrip("\n"), "```", ""]
        for table in section.tables:
            lines += _table(table)
    return "\n".join(lines).rstrip("\n") + "\n"


def _table(table: Table) -> list[str]:
    lines = [f"**{_text(table.caption)}**", ""] if table.caption else []
    if not table.rows:
        return [*lines, "_none_", ""]
    lines.append("| " + " | ".join(_cell(h) for h in table.headers) + " |")
    lines.append("|" + "|".join("---" for _ in table.headers) + "|")
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
    return [*lines, ""]


def _text(text: str) -> str:
    """Recorded text (names, reasons) must not become markup or HTML."""
    for plain, escaped in _ESCAPES:
        text = text.replace(plain, escaped)
    return text


def _cell(text: str) -> str:
    return _text(" ".join(str(text).split())).replace("|", "\\|")
