"""The onboarding records store: the audit trail that outlives Temporal's history.

Import what you need from the submodules (`records.store`, `records.db`,
`records.export`, ...). This package file imports nothing on purpose, so that the
workflow sandbox can import `records.kinds` without pulling in SQLAlchemy.
"""
