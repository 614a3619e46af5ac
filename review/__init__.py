"""The post-onboarding review report (PHASE-33 "Findings must be documented")."""

from review.report import render_review_report

__all__ = ["render_review_report"]
