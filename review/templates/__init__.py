"""Jinja templates of the review report (a package, so they ship in the wheel)."""
