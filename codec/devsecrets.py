"""The local key ring and codec token that `onboard dev` creates on first run (0600)."""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass
from pathlib import Path

from codec.keys import new_key_entry, write_secret_file
from codec.settings import DEV_KEY_FILE, DEV_TOKEN_FILE


@dataclass(frozen=True)
class DevSecrets:
    key_file: Path
    token_file: Path

    def token(self) -> str:
        return self.token_file.read_text(encoding="utf-8").strip()


def ensure_dev_secrets(data_dir: Path) -> DevSecrets:
    """Create the data dir's key ring and codec token once; later runs reuse them."""
    found = DevSecrets(key_file=data_dir / DEV_KEY_FILE, token_file=data_dir / DEV_TOKEN_FILE)
    found.key_file.parent.mkdir(parents=True, exist_ok=True)
    found.key_file.parent.chmod(0o700)
    header = "# payload encryption keys of this onboard dev stack: KEY_ID:BASE64, keep 0600\n"
    for path, text in (
        (found.key_file, header + new_key_entry(f"local-{secrets.token_hex(4)}") + "\n"),
        (found.token_file, secrets.token_urlsafe(32) + "\n"),
    ):
        if not path.exists():
            with contextlib.suppress(FileExistsError):  # another process made it first
                write_secret_file(path, text)
    return found
