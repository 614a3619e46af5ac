"""The embedded stack's pid file: who runs on a data directory, and what it left behind.

``DATA/stack.json`` names the process that owns the stack (`onboard dev`, a demo, a test)
and each part it started, every one by pid *and* start time, so a pid the system has since
given to another program is never mistaken for ours. A stack that is stopped cleanly removes
the file; one that was killed leaves it, and the next start on the same data directory ends
whatever is still running from it before it starts its own parts.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from dataclasses import asdict, dataclass
from pathlib import Path

FILE_NAME = "stack.json"
STOP_WAIT_SECONDS = 10.0


@dataclass(frozen=True)
class Process:
    """A process recorded by pid and start time (clock ticks since boot, from /proc)."""

    pid: int
    started: int

    def alive(self) -> bool:
        """Whether this very process is still running (not a zombie, not a reused pid)."""
        return start_time(self.pid) == self.started


def start_time(pid: int) -> int | None:
    """The start time of a live process, or None when it is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


def this_process() -> Process | None:
    """The current process as recorded in the file (None where /proc is missing)."""
    started = start_time(os.getpid())
    return None if started is None else Process(os.getpid(), started)


class AlreadyRunning(RuntimeError):
    """Another live process owns a stack on this data directory."""

    def __init__(self, owner: Process, data_dir: Path) -> None:
        super().__init__(
            f"another stack (pid {owner.pid}) is running on {data_dir}; stop it first, "
            "or use another --data-dir"
        )
        self.owner = owner


class StackFile:
    """Read and write ``DATA/stack.json``."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.path = data_dir / FILE_NAME

    def _read(self) -> tuple[Process | None, dict[str, Process]]:
        try:
            data = json.loads(self.path.read_text())
            owner = Process(**data["owner"]) if data.get("owner") else None
            parts = {name: Process(**p) for name, p in data.get("parts", {}).items()}
        except (OSError, ValueError, TypeError, KeyError):
            return None, {}
        return owner, parts

    def _write(self, owner: Process | None, parts: dict[str, Process]) -> None:
        body = {
            "owner": asdict(owner) if owner else None,
            "parts": {name: asdict(p) for name, p in parts.items()},
        }
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(body, indent=2))
        tmp.replace(self.path)

    def claim(self) -> list[Process]:
        """Make this process the stack's owner, ending what a previous stack left running.

        Returns:
            The leftover processes that were ended.

        Raises:
            AlreadyRunning: Another live process owns the stack.
        """
        owner, parts = self._read()
        me = this_process()
        if owner is not None and owner != me and owner.alive():
            raise AlreadyRunning(owner, self.data_dir)
        leftovers = [p for p in parts.values() if p.alive() and p != me]
        end(leftovers)
        self._write(me, {})
        return leftovers

    def record(self, part: str, pid: int) -> None:
        """Record a part just started (best effort where /proc is missing)."""
        started = start_time(pid)
        if started is None:
            return
        owner, parts = self._read()
        parts[part] = Process(pid, started)
        self._write(owner or this_process(), parts)

    def release(self) -> None:
        """Remove the file once every part has stopped."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def end(processes: list[Process], wait: float = STOP_WAIT_SECONDS) -> None:
    """SIGTERM the processes, then SIGKILL any still running after ``wait`` seconds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for proc in processes:
            if proc.alive():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, sig)
        deadline = time.monotonic() + wait
        while any(p.alive() for p in processes) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not any(p.alive() for p in processes):
            return
