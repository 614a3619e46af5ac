"""Files the activities leave behind for people: customer documents, review reports."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def store_text(path: Path, content: str) -> str:
    """Write the content unless the file already holds it; return the file's SHA-256.

    The write goes through a temporary file and a rename, so a reader never sees half a
    file, and a retried activity that writes the same content leaves the file untouched.
    """
    data = content.encode("utf-8")
    if not (path.is_file() and path.read_bytes() == data):
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        partial.write_bytes(data)
        os.replace(partial, path)
    return hashlib.sha256(path.read_bytes()).hexdigest()
