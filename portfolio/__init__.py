"""The portfolio report: every onboarding in the records store, with its waits attributed.

Pure computation from the records (`timeline`, `attribution`, `build`) into a typed model
(`model`), rendered as Markdown, HTML or JSON (`markdown`, `html`, `charts`, `mermaid`).
"""
