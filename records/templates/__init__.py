"""Jinja templates of the records package (a package, so they ship in the wheel)."""
