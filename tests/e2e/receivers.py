"""What a production worker talks to besides Temporal, played by the tests: a webhook
that fails each notification's first attempt, an OTLP/HTTP trace collector, and a
Prometheus scrape."""

from __future__ import annotations

import contextlib
import http.server
import json
import re
import threading
from typing import Any

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest


class _Server:
    def __init__(self, handler: type[http.server.BaseHTTPRequestHandler]) -> None:
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class FlakyWebhook(_Server):
    """Answers 503 to the first delivery of each notification key, 200 to the next."""

    def __init__(self) -> None:
        self.attempts: dict[str, int] = {}
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                key = self.headers["Idempotency-Key"]
                hook.attempts[key] = hook.attempts.get(key, 0) + 1
                code = 503 if hook.attempts[key] == 1 else 200
                reply = json.dumps({"id": f"{key}#{hook.attempts[key]}"}).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(Handler)
        self.url = self.base + "/notify"


class TraceCollector(_Server):
    """An OTLP/HTTP receiver (`POST /v1/traces`, protobuf) keeping every span's name."""

    def __init__(self) -> None:
        self.spans: list[str] = []
        collector = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.path == "/v1/traces":
                    request = ExportTraceServiceRequest.FromString(body)
                    for resource in request.resource_spans:
                        for scope in resource.scope_spans:
                            collector.spans += [span.name for span in scope.spans]
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(Handler)


_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')

Scrape = list[tuple[str, dict[str, str], float]]


def scrape(url: str) -> Scrape:
    """Every sample of a Prometheus text exposition: name, labels, value."""
    samples: Scrape = []
    for line in httpx.get(url, timeout=10).text.splitlines():
        if match := _SAMPLE.match(line):
            name, labels, value = match.groups()
            samples.append((name, dict(_LABEL.findall(labels or "")), float(value)))
    return samples


def value(samples: Scrape, name: str, **labels: Any) -> float:
    """The sum of the samples of ``name`` whose labels include ``labels`` (0 if none)."""
    wanted = {k: str(v) for k, v in labels.items()}
    return sum(v for n, have, v in samples if n == name and wanted.items() <= have.items())


def names(samples: Scrape) -> set[str]:
    return {name for name, _, _ in samples}


class HoldingProxy:
    """A TCP proxy to ``upstream`` (host, port) that can hold every byte sent through it.

    While held, requests reach the proxy but not the platform, so an activity calling
    the platform stays in flight for as long as the test wants.
    """

    def __init__(self, upstream: tuple[str, int]) -> None:
        import socket

        self._upstream = upstream
        self._open = threading.Event()
        self._open.set()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def hold(self) -> None:
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def close(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: Any) -> None:
        """Forward one client connection, holding its bytes while held.

        The platform closes a keep-alive connection after a few idle seconds; a request
        held on such a connection must not see that as a disconnect (a real slow network
        would not). So an upstream that went away is replaced when the next bytes are
        let through, and the client's connection stays open until the client closes it.
        """
        import socket

        upstream: Any = None
        try:
            while data := client.recv(65536):
                self._open.wait()
                if upstream is None or upstream.fileno() == -1:
                    upstream = socket.create_connection(self._upstream, timeout=10)
                    upstream.settimeout(None)
                    threading.Thread(
                        target=self._back, args=(upstream, client), daemon=True
                    ).start()
                upstream.sendall(data)
        except OSError:
            pass
        finally:
            for end in (client, upstream):
                if end is not None:
                    with contextlib.suppress(OSError):
                        end.close()

    @staticmethod
    def _back(upstream: Any, client: Any) -> None:
        """The platform's answers to the client; an upstream that closes is just closed."""
        try:
            while data := upstream.recv(65536):
                client.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                upstream.close()
