"""The image's contents without a container engine: the Docker build context as
Dockerfile.dockerignore makes it, the wheel built from it, a clean virtualenv."""

from __future__ import annotations

import fnmatch
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERIGNORE = ROOT / "deploy" / "Dockerfile.dockerignore"


def _rules() -> list[tuple[bool, str]]:
    rules = []
    for raw in DOCKERIGNORE.read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            rules.append((line.startswith("!"), line.lstrip("!").rstrip("/")))
    return rules


def _matches(pattern: str, path: str) -> bool:
    """Docker's rule: a pattern matching a path or any of its parent directories."""
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    if pattern.startswith("**/"):
        tail = pattern[3:]
        return any(fnmatch.fnmatchcase(part, tail) for part in parts) or any(
            fnmatch.fnmatchcase(c, tail) for c in candidates
        )
    return any(fnmatch.fnmatchcase(c, pattern) for c in candidates)


def in_context(path: str) -> bool:
    """Whether the build context holds ``path`` (relative, /-separated): the last rule
    that matches decides, as in Docker."""
    kept = True
    for allow, pattern in _rules():
        if _matches(pattern, path):
            kept = allow
    return kept


def build_context(target: Path) -> list[str]:
    """Copy the repository's files (tracked and new, not ignored) that the context keeps."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    kept = [p for p in listed if (ROOT / p).is_file() and in_context(p)]
    for path in kept:
        (target / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / path, target / path)
    return kept


def build_wheel(context: Path, out: Path) -> Path:
    """`pip wheel --no-deps`, as the Dockerfile's build stage runs it."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "--wheel-dir", str(out), "."],
        cwd=context,
        check=True,
        timeout=600,
    )
    (wheel,) = out.glob("localizevideos_onboarding-*.whl")
    return wheel


def wheel_files(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def install(wheel: Path, target: Path) -> Path:
    """A clean virtualenv with the wheel and its dependencies from PyPI; its bin/."""
    venv.create(target, with_pip=True, clear=True)
    bin_dir = target / "bin"
    subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", f"{wheel}[postgres]"],
        check=True,
        timeout=900,
    )
    return bin_dir
