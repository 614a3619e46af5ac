"""Jinja templates of the customer documents (a package, so they ship in the wheel)."""
