"""`python -m starter ...` is `onboard ...` (the dev stack starts its parts this way)."""

from starter.cli import main

if __name__ == "__main__":
    main()
