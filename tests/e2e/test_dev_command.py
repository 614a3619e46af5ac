"""`onboard dev` as a user runs it: up, reused by `onboard demo`, stopped by SIGTERM, resumed."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest

from starter.devstack import free_port, port_open

pytestmark = pytest.mark.e2e

START_TIMEOUT = 240.0
"""Generous: on a busy machine the dev server takes its time to create its namespace, and
`onboard dev` itself waits up to 180 s for it; a part that dies is reported at once."""
STOP_TIMEOUT = 20.0


@dataclass(frozen=True)
class Proc:
    """A process, identified by pid and start time so a reused pid is never mistaken for it."""

    pid: int
    started: int
    cmdline: str

    def alive(self) -> bool:
        found = _read_proc(self.pid)
        return found is not None and found.started == self.started


@dataclass
class Dev:
    proc: subprocess.Popen[bytes]
    out: Path
    err: Path
    data_dir: Path
    ports: tuple[int, int, int, int, int]  # temporal, ui, sandbox, codec, approvals

    def output(self) -> str:
        return self.out.read_text() + self.err.read_text()

    @property
    def env(self) -> dict[str, str]:
        temporal, ui, sandbox, _, portal = self.ports
        return {
            **clean_env(),
            "TEMPORAL_ADDRESS": f"127.0.0.1:{temporal}",
            "ONBOARDING_PLATFORM_URL": f"http://127.0.0.1:{sandbox}",
            "ONBOARDING_UI_URL": f"http://localhost:{ui}",
            "ONBOARDING_PORTAL_URL": f"http://127.0.0.1:{portal}",
            # The stack's own folder: its demo keys, mailbox and key ring are there.
            "ONBOARDING_DATA_DIR": str(self.data_dir),
            # The key ring `onboard dev` created on its first run.
            "ONBOARDING_CODEC_KEY_FILE": str(self.data_dir / "codec" / "keys"),
        }


def five_ports() -> tuple[int, int, int, int, int]:
    """Free ports for Temporal, the Web UI, the sandbox, the codec server, approvals."""
    return (free_port(), free_port(), free_port(), free_port(), free_port())


def clean_env() -> dict[str, str]:
    """The caller's environment without settings that would change the stack or the CLI."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONBOARDING_", "TEMPORAL_"))}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _read_proc(pid: int) -> Proc | None:
    """pid, start time and command line from /proc; None if gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
    if fields[0] in ("Z", "X"):
        return None
    return Proc(pid, int(fields[19]), cmdline.replace(b"\0", b" ").decode(errors="replace"))


def _ppid(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat[stat.rindex(")") + 2 :].split()[1])


def children_of(pid: int) -> list[Proc]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _ppid(int(entry.name)) == pid:
            proc = _read_proc(int(entry.name))
            if proc is not None:
                found.append(proc)
    return found


def stack_processes(data_dir: Path, temporal_port: int) -> list[Proc]:
    """Every live process of a stack: its data dir on the command line (server, sandbox)
    or in its environment (codec server), or pointed at its Temporal port (worker); this
    test process excluded."""
    marker = f"TEMPORAL_ADDRESS=127.0.0.1:{temporal_port}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        proc = _read_proc(int(entry.name))
        if proc is None:
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            environ = []
        in_env = any(str(data_dir).encode() in item for item in environ)  # the codec server
        if str(data_dir) in proc.cmdline or marker in environ or in_env:
            found.append(proc)
    return found


def wait_until(condition: Callable[[], bool], timeout: float, what: Callable[[], str]) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f} s: {what()}")
        time.sleep(0.2)


def worker_starts(data_dir: Path) -> int:
    log = data_dir / "logs" / "worker.log"
    return log.read_text().count('"event": "worker started"') if log.exists() else 0


def cli(dev: Dev, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "starter", *args],
        cwd=dev.data_dir.parent,
        env=dev.env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
    return done


@contextmanager
def dev_processes(tmp_path: Path) -> Iterator[Callable[..., Dev]]:
    """Start `onboard dev` processes; whatever happens, none of them or theirs survive."""
    started: list[Dev] = []
    seen: set[Proc] = set()
    counter = iter(range(100))

    def start(data_dir: Path, ports: tuple[int, int, int, int, int]) -> Dev:
        n = next(counter)
        temporal, ui, sandbox, codec, portal = ports
        out, err = tmp_path / f"dev-{n}.out", tmp_path / f"dev-{n}.err"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "starter",
                    "dev",
                    "--data-dir",
                    str(data_dir),
                    "--port",
                    str(temporal),
                    "--ui-port",
                    str(ui),
                    "--platform-port",
                    str(sandbox),
                    "--codec-port",
                    str(codec),
                    "--portal-port",
                    str(portal),
                ],
                cwd=tmp_path,
                env=clean_env(),
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                start_new_session=True,
            )
        dev = Dev(proc, out, err, data_dir, ports)
        started.append(dev)
        return dev

    try:
        yield start
    finally:
        for dev in started:
            if dev.proc.poll() is None:
                seen.update(children_of(dev.proc.pid))
                with suppress(ProcessLookupError):
                    os.killpg(dev.proc.pid, signal.SIGKILL)
                dev.proc.wait(timeout=10)
            seen.update(stack_processes(dev.data_dir, dev.ports[0]))
        for proc in seen:
            if proc.alive():
                with suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGKILL)


def wait_until_up(dev: Dev, worker_starts_before: int = 0) -> list[Proc]:
    """Wait for the five ports and the worker's start; return the five child processes."""
    temporal, ui, sandbox, codec, portal = dev.ports

    def up() -> bool:
        assert dev.proc.poll() is None, f"onboard dev exited {dev.proc.returncode}: {dev.output()}"
        return all(port_open(p) for p in dev.ports) and (
            worker_starts(dev.data_dir) > worker_starts_before
        )

    wait_until(up, START_TIMEOUT, dev.output)
    wait_until(lambda: "Ctrl-C stops everything" in dev.output(), 10, dev.output)
    output = dev.output()
    assert f"Temporal   127.0.0.1:{temporal}" in output
    assert f"Web UI     http://localhost:{ui}" in output
    assert f"Platform   http://127.0.0.1:{sandbox}" in output
    assert f"Codec      http://127.0.0.1:{codec}" in output
    assert f"Approvals  http://127.0.0.1:{portal}" in output
    assert "Traceback" not in output

    children = children_of(dev.proc.pid)
    kinds = sorted(_kind(c) for c in children)
    assert kinds == ["approvals", "codec", "sandbox", "temporal", "worker"], [
        c.cmdline for c in children
    ]
    return children


def _kind(proc: Proc) -> str:
    if "temporal server start-dev" in proc.cmdline:
        return "temporal"
    if "-m starter sandbox" in proc.cmdline:
        return "sandbox"
    if "-m starter worker" in proc.cmdline:
        return "worker"
    if "-m starter codec-server" in proc.cmdline:
        return "codec"
    if "-m starter approvals" in proc.cmdline:
        return "approvals"
    return proc.cmdline


def sigterm_and_check_everything_stopped(dev: Dev, children: list[Proc]) -> None:
    started = time.monotonic()
    dev.proc.send_signal(signal.SIGTERM)
    try:
        code = dev.proc.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise AssertionError(
            f"onboard dev still running {STOP_TIMEOUT:.0f} s after SIGTERM"
        ) from None
    took = time.monotonic() - started
    output = dev.output()
    assert code == 0, output
    assert "stopped (all parts shut down cleanly)" in output
    assert "Traceback" not in output
    left = [c.cmdline for c in children if c.alive()]
    assert left == [], f"children still running after onboard dev exited ({took:.1f} s): {left}"
    assert stack_processes(dev.data_dir, dev.ports[0]) == []
    open_ports = [p for p in dev.ports if port_open(p)]
    assert open_ports == [], f"ports still listening: {open_ports}"


def test_dev_runs_the_stack_demo_reuses_it_sigterm_stops_it_and_a_rerun_resumes(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "stack"
    ports = five_ports()
    temporal, ui, _, _, _ = ports
    with dev_processes(tmp_path) as start_dev:
        # 1. `onboard dev` brings up Temporal, the Web UI, the sandbox and a worker.
        dev = start_dev(data_dir, ports)
        children = wait_until_up(dev)

        # A second `onboard dev` on the same ports is refused in one clear line.
        clash = start_dev(tmp_path / "other", ports)
        clash.proc.wait(timeout=30)
        assert clash.proc.returncode == 3, clash.output()
        message = clash.err.read_text().strip()
        assert message.startswith("error: port "), message
        assert "already in use" in message and len(message.splitlines()) == 1, message
        assert "Traceback" not in clash.output()
        assert dev.proc.poll() is None  # the first one is untouched

        # 2. `onboard demo` reuses the running stack and takes an onboarding to go-live.
        demo = cli(dev, "demo", timeout=120)
        assert demo.returncode == 0, demo.stdout + demo.stderr
        assert f"using the running stack at 127.0.0.1:{temporal}" in demo.stdout
        assert "starting the embedded stack" not in demo.stdout
        for title in (
            "Pre-onboarding requirements",
            "Step 1 - Internal readiness check",
            "Step 2 - Account provisioning",
            "Step 3 - Access & identity setup",
            "Step 4 - Environment validation",
            "Step 5 - Feature enablement",
            "Step 6 - Customer enablement",
            "Step 7 - Go-live confirmation",
        ):
            assert f"done {title}:" in demo.stdout, title
        link = re.search(
            rf"Web UI: http://localhost:{ui}/namespaces/default/workflows/"
            r"onboarding-(northwind-demo-[0-9a-f]{6})\b",
            demo.stdout,
        )
        assert link is not None, demo.stdout
        tenant = link.group(1)
        assert demo.stdout.rstrip().endswith("final status: live"), demo.stdout

        # 3. SIGTERM stops `onboard dev` and every part of the stack, with exit code 0.
        sigterm_and_check_everything_stopped(dev, children)

        # 4. A second `onboard dev` on the same files resumes: the onboarding is still live.
        before = worker_starts(data_dir)
        again = start_dev(data_dir, ports)
        children = wait_until_up(again, worker_starts_before=before)
        listed = cli(again, "list", "--json")
        assert listed.returncode == 0, listed.stdout + listed.stderr
        rows = {row["tenant_id"]: row for row in json.loads(listed.stdout)}
        assert rows[tenant]["state"] == "live", rows
        assert rows[tenant]["workflow_id"] == f"onboarding-{tenant}"

        status = cli(again, "status", tenant, "--json")  # a query: the new worker replays
        assert status.returncode == 0, status.stdout + status.stderr
        current = json.loads(status.stdout)
        assert current["state"] == "live"
        assert current["current_step"] == "post_onboarding_review"
        assert current["go_live_at"] is not None

        sigterm_and_check_everything_stopped(again, children)


def test_sigkill_takes_the_children_along_and_the_next_start_owns_the_data_dir(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "stack"
    ports = five_ports()
    with dev_processes(tmp_path) as start_dev:
        dev = start_dev(data_dir, ports)
        children = wait_until_up(dev)

        # SIGKILL: `onboard dev` gets no chance to stop anything itself.
        dev.proc.kill()
        dev.proc.wait(timeout=10)
        wait_until(
            lambda: not any(c.alive() for c in children) and not any(map(port_open, ports)),
            STOP_TIMEOUT,
            lambda: f"left running: {[c.cmdline for c in children if c.alive()]}",
        )
        assert stack_processes(data_dir, ports[0]) == []

        # The same data dir and ports come straight back up...
        before = worker_starts(data_dir)
        again = start_dev(data_dir, ports)
        children = wait_until_up(again, worker_starts_before=before)

        # ...and while that stack runs, nobody else may start one on its data dir.
        other_ports = five_ports()
        clash = start_dev(data_dir, other_ports)
        clash.proc.wait(timeout=60)
        assert clash.proc.returncode == 3, clash.output()
        message = clash.err.read_text().strip()
        assert f"another stack (pid {again.proc.pid}) is running on {data_dir}" in message
        assert "Traceback" not in clash.output()
        assert not any(map(port_open, other_ports))

        sigterm_and_check_everything_stopped(again, children)
        assert not (data_dir / "stack.json").exists()


def test_the_next_start_ends_what_a_killed_stack_left_running(tmp_path: Path) -> None:
    data_dir = tmp_path / "stack"
    data_dir.mkdir()
    # A sandbox of a stack whose owner is gone, as if it had survived a SIGKILL.
    orphan_port = free_port()
    orphan = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "starter",
            "sandbox",
            "--port",
            str(orphan_port),
            "--data-dir",
            str(data_dir / "sandbox"),
        ],
        env=clean_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_until(lambda: port_open(orphan_port), START_TIMEOUT, lambda: "orphan not up")
        leftover = _read_proc(orphan.pid)
        assert leftover is not None
        (data_dir / "stack.json").write_text(
            json.dumps(
                {
                    "owner": {"pid": 2**22 + 1, "started": 1},
                    "parts": {"sandbox": {"pid": orphan.pid, "started": leftover.started}},
                }
            )
        )
        ports = five_ports()
        with dev_processes(tmp_path) as start_dev:
            dev = start_dev(data_dir, ports)
            children = wait_until_up(dev)

            assert orphan.poll() is not None, "the leftover sandbox is still running"
            assert not port_open(orphan_port)
            assert f"(pid {orphan.pid})" in dev.output()
            sigterm_and_check_everything_stopped(dev, children)
    finally:
        if orphan.poll() is None:
            orphan.kill()
        orphan.wait(timeout=10)
