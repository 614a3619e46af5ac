"""Keys of the embedded stack: created once in its data directory, never well-known.

`onboard dev` (and the demo and the end-to-end tests, which use the same stack) keep
their service keys in `DATA/keys/` and, for the example roster, labelled demo keys for
its three people in `DATA/demo-keys/` with a copy of the roster that lists their public
keys (`DATA/roster.yaml`). Demo keys are for the example roster only, never production.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from identity.keyfiles import (
    ensure_private_key,
    ensure_secret_file,
    public_text,
    staff_key_path,
)
from onboarding.problems import load_roster

DEMO_LABEL = "DEMO KEY for the example roster only: never use it in production"


@dataclass(frozen=True)
class StackKeys:
    """Where the stack's keys are, and the public halves its parts need."""

    records_key: Path
    approvals_key: Path
    link_key: Path
    approvals_public: str
    staff_key_dir: Path | None
    """Demo keys of the roster's people (None without demo keys)."""
    roster: Path
    """The roster the worker reads (with the demo keys' public halves, if any)."""

    def worker_env(self) -> dict[str, str]:
        """What the worker needs: its records key, the link secret, the service's public key."""
        return {
            "ONBOARDING_RECORDS_KEY_FILE": str(self.records_key),
            "ONBOARDING_LINK_KEY_FILE": str(self.link_key),
            "ONBOARDING_APPROVALS_PUBLIC_KEYS": json.dumps([self.approvals_public]),
            "ONBOARDING_ROSTER_FILE": str(self.roster),
        }

    def approvals_env(self) -> dict[str, str]:
        """What the approvals service needs: its signing key and the link secret."""
        return {
            "ONBOARDING_APPROVALS_KEY_FILE": str(self.approvals_key),
            "ONBOARDING_LINK_KEY_FILE": str(self.link_key),
        }

    def client_env(self) -> dict[str, str]:
        """What CLIs on this machine need: the demo keys, and the records key (export
        records its artifacts; verify checks signatures)."""
        env = {
            "ONBOARDING_RECORDS_KEY_FILE": str(self.records_key),
            "ONBOARDING_ROSTER_FILE": str(self.roster),
            "ONBOARDING_APPROVALS_PUBLIC_KEYS": json.dumps([self.approvals_public]),
        }
        if self.staff_key_dir is not None:
            env["ONBOARDING_KEY_DIR"] = str(self.staff_key_dir)
        return env


def prepare_keys(data_dir: Path, roster: Path, demo_keys: bool) -> StackKeys:
    """Create what is missing (0600 files) and return where everything is."""
    keys = data_dir / "keys"
    approvals = ensure_private_key(keys / "approvals.key", "LocalizeVideos approvals service key")
    ensure_private_key(keys / "records.key", "LocalizeVideos records key (embedded stack)")
    ensure_secret_file(keys / "links.key")
    staff_dir = data_dir / "demo-keys" if demo_keys else None
    worker_roster = _demo_roster(data_dir, roster, staff_dir) if staff_dir else roster
    return StackKeys(
        records_key=keys / "records.key",
        approvals_key=keys / "approvals.key",
        link_key=keys / "links.key",
        approvals_public=public_text(approvals),
        staff_key_dir=staff_dir,
        roster=worker_roster,
    )


def _demo_roster(data_dir: Path, roster: Path, key_dir: Path) -> Path:
    """The roster with a demo key for everyone who has none, written to DATA/roster.yaml."""
    people = []
    for person in load_roster(roster).people:
        entry = person.model_dump(mode="json")
        if not person.public_keys:
            key = ensure_private_key(staff_key_path(key_dir, person.email), DEMO_LABEL)
            entry["public_keys"] = [public_text(key)]
        people.append(entry)
    path = data_dir / "roster.yaml"
    header = (
        f"# Written by `onboard dev` from {roster}: the example roster with DEMO keys\n"
        f"# ({key_dir}). For demos and tests only; never use them in production.\n"
    )
    path.write_text(header + yaml.safe_dump({"people": people}, sort_keys=False))
    return path
