"""The workflow's modules import the project's domain modules only passed through the
sandbox: a second, sandbox-made copy of a module such as `onboarding.steps` brings classes
that do not equal the passed-through ones, and a replayed run issues other commands (this
broke replay once: `UpsertWorkflowSearchAttributesMachine does not handle ...`)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

WORKFLOW_MODULES = sorted((ROOT / "workflows").glob("*.py"))
PROJECT_PACKAGES = {
    p.name for p in ROOT.iterdir() if (p / "__init__.py").exists() and p.name != "workflows"
}


def _passed_through(node: ast.With) -> bool:
    return any("imports_passed_through" in ast.unparse(item.context_expr) for item in node.items)


def _unsandboxed_imports(tree: ast.Module) -> list[str]:
    found = []
    for node in tree.body:  # module level only; passed-through blocks are fine
        if isinstance(node, ast.With) and _passed_through(node):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.ImportFrom) and inner.module:
                names = [inner.module]
            elif isinstance(inner, ast.Import):
                names = [alias.name for alias in inner.names]
            else:
                continue
            found += [n for n in names if n.split(".")[0] in PROJECT_PACKAGES]
    return found


@pytest.mark.parametrize("path", WORKFLOW_MODULES, ids=[p.name for p in WORKFLOW_MODULES])
def test_domain_modules_come_into_the_workflow_passed_through(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert _unsandboxed_imports(tree) == [], f"{path.name}: import these passed through"
