"""Migration scripts, one per schema revision, written to match `records.models`."""
