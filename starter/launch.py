"""Start a part of the embedded stack so that it dies with the stack.

    python -m starter.launch PARENT_PID COMMAND [ARGS...]

Each part runs in a session of its own (Ctrl-C in the terminal reaches `onboard dev`, which
stops the parts in order), so nothing would end it if `onboard dev` itself were killed with
SIGKILL: the server and sandbox would keep their ports, and an orphaned worker would
reconnect to whatever server next listened on its port, with stale settings. On Linux this
launcher asks the kernel to send the part SIGTERM when its parent goes away
(``prctl(PR_SET_PDEATHSIG)``, which survives the ``exec``), makes sure the parent is still
there, then becomes COMMAND. The death signal follows the parent *thread* that started the
part, so the stack is started from a thread that lives as long as it does.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys

PR_SET_PDEATHSIG = 1
"""From <linux/prctl.h>."""


def die_with_parent(sig: int = signal.SIGTERM) -> bool:
    """Ask the kernel to send ``sig`` when the parent exits; False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    return bool(libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0)


def main(argv: list[str]) -> int:
    """Set the death signal, check the parent, and exec the command (never returns on success)."""
    if len(argv) < 2 or not argv[0].isdigit():
        print("usage: python -m starter.launch PARENT_PID COMMAND [ARGS...]", file=sys.stderr)
        return 2
    parent, command = int(argv[0]), argv[1:]
    die_with_parent()
    if os.getppid() != parent:  # the parent died before the death signal was armed
        return 1
    os.execvp(command[0], command)
    return 1  # pragma: no cover - execvp does not return


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
