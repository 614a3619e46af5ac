"""CPU time of the stack's processes, read from `/proc/<pid>/stat` (Linux).

Wall time on a shared 2-core machine says as much about the neighbours as about us; the
CPU seconds each process spent between two readings say what the work itself cost, and
which part (worker, Temporal server, sandbox) spent them.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds the process has used so far (0 once it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    fields = stat.rpartition(")")[2].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / _TICKS


def snapshot(procs: Mapping[str, subprocess.Popen[bytes]]) -> dict[str, float]:
    """Each named process's CPU seconds so far."""
    return {name: cpu_seconds(proc.pid) for name, proc in procs.items()}


def spent(before: Mapping[str, float], after: Mapping[str, float]) -> dict[str, float]:
    """CPU seconds each process spent between two snapshots."""
    return {name: after[name] - before.get(name, 0.0) for name in after}
