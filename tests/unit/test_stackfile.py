"""The stack's pid file: a live owner is refused, leftovers are ended, reused pids are safe."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from starter.stackfile import AlreadyRunning, Process, StackFile, start_time, this_process


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(["sleep", "60"])
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def as_recorded(proc: subprocess.Popen[bytes]) -> Process:
    started = start_time(proc.pid)
    assert started is not None
    return Process(proc.pid, started)


def write(path: Path, owner: Process | None, parts: dict[str, Process]) -> None:
    body = {
        "owner": owner.__dict__ if owner else None,
        "parts": {name: p.__dict__ for name, p in parts.items()},
    }
    (path / "stack.json").write_text(json.dumps(body))


def test_a_live_owner_keeps_the_data_dir(tmp_path: Path, sleeper: subprocess.Popen[bytes]) -> None:
    write(tmp_path, as_recorded(sleeper), {})

    with pytest.raises(AlreadyRunning, match=f"pid {sleeper.pid}"):
        StackFile(tmp_path).claim()


def test_leftovers_of_a_dead_owner_are_ended_and_the_file_is_ours(
    tmp_path: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    write(tmp_path, Process(2**22 + 1, 1), {"worker": as_recorded(sleeper)})

    ended = StackFile(tmp_path).claim()

    assert [p.pid for p in ended] == [sleeper.pid]
    assert sleeper.wait(timeout=5) is not None
    data = json.loads((tmp_path / "stack.json").read_text())
    assert data["owner"]["pid"] == this_process().pid  # type: ignore[union-attr]
    assert data["parts"] == {}


def test_a_pid_now_used_by_another_program_is_left_alone(
    tmp_path: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    reused = Process(sleeper.pid, as_recorded(sleeper).started + 1)  # same pid, other start
    write(tmp_path, Process(2**22 + 1, 1), {"sandbox": reused})

    assert StackFile(tmp_path).claim() == []
    assert sleeper.poll() is None


def test_record_and_release(tmp_path: Path, sleeper: subprocess.Popen[bytes]) -> None:
    stack = StackFile(tmp_path)
    stack.claim()
    stack.record("worker", sleeper.pid)

    data = json.loads((tmp_path / "stack.json").read_text())
    assert data["parts"]["worker"]["pid"] == sleeper.pid
    stack.release()
    assert not (tmp_path / "stack.json").exists()
