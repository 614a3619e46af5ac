"""The report as one self-contained HTML file: tables and the charts inline as SVG."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from portfolio.charts import Chart
from portfolio.model import Report
from portfolio.outline import outline, summary, when


def render_html(report: Report, charts: list[Chart]) -> str:
    """Return the report as HTML; it needs no network to view (no scripts, no links out).

    Everything recorded (names, reasons, e-mails) is escaped; only the SVG that
    matplotlib drew is inserted as markup.
    """
    env = Environment(
        loader=PackageLoader("portfolio", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        keep_trailing_newline=True,
    )
    template = env.get_template("report.html.j2")
    return template.render(
        as_of=when(report.as_of),
        summary=summary(report),
        sections=outline(report),
        charts={c.name: Markup(c.svg()) for c in charts},
        titles={c.name: c.title for c in charts},
    )
