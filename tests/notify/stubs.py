"""Local stand-ins for a webhook receiver and an SMTP server, each in a thread."""

from __future__ import annotations

import base64
import email
import json
import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast


def closed_port() -> int:
    """Return a local port nothing listens on (connections are refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# --- webhook ---------------------------------------------------------------------------


@dataclass
class HookRequest:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class WebhookStub:
    base_url: str = ""
    status: int = 200
    reply: bytes = b'{"id": "hook-msg-1"}'
    reply_headers: dict[str, str] = field(default_factory=dict)
    requests: list[HookRequest] = field(default_factory=list)


@contextmanager
def webhook_stub() -> Iterator[WebhookStub]:
    """An HTTP server that records every POST and answers as the stub says."""
    stub = WebhookStub()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            stub.requests.append(
                HookRequest(
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=json.loads(raw),
                )
            )
            self.send_response(stub.status)
            self.send_header("Content-Length", str(len(stub.reply)))
            for name, value in stub.reply_headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(stub.reply)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    stub.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# --- SMTP ------------------------------------------------------------------------------


@dataclass
class Mail:
    mail_from: str
    rcpt_to: list[str]
    message: EmailMessage


@dataclass
class SmtpStub:
    host: str = "127.0.0.1"
    port: int = 0
    reject_recipients: bool = False
    accept_login: bool = True
    logins: list[str] = field(default_factory=list)
    """Decoded AUTH PLAIN credentials, as `user:password`."""
    mails: list[Mail] = field(default_factory=list)


class _SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    stub: SmtpStub


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: EHLO, AUTH PLAIN, MAIL, RCPT, DATA, RSET, QUIT."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        stub = cast(_SmtpServer, self.server).stub
        self.reply("220 stub.localhost ESMTP")
        mail_from = ""
        rcpt_to: list[str] = []
        while line := self.rfile.readline():
            command = line.decode().rstrip("\r\n")
            verb, _, arg = command.partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                self.wfile.write(b"250-stub.localhost\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n")
            elif verb in ("HELO", "NOOP"):
                self.reply("250 OK")
            elif verb == "RSET":
                mail_from, rcpt_to = "", []
                self.reply("250 OK")
            elif verb == "AUTH":
                _mechanism, _, initial = arg.partition(" ")
                _, user, password = base64.b64decode(initial).decode().split("\0")
                stub.logins.append(f"{user}:{password}")
                self.reply("235 OK" if stub.accept_login else "535 5.7.8 bad credentials")
            elif verb == "MAIL":
                mail_from = arg.split(":", 1)[1].split()[0].strip("<>")
                rcpt_to = []
                self.reply("250 OK")
            elif verb == "RCPT":
                if stub.reject_recipients:
                    self.reply("550 5.1.1 no such user")
                else:
                    rcpt_to.append(arg.split(":", 1)[1].strip().strip("<>"))
                    self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                data = bytearray()
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                wire = bytes(data).replace(b"\r\n", b"\n")  # as a mailbox would store it
                message = email.message_from_bytes(wire, policy=default_policy)
                stub.mails.append(Mail(mail_from, rcpt_to, message))
                self.reply("250 OK queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


@contextmanager
def smtp_stub() -> Iterator[SmtpStub]:
    """An SMTP server on a free local port that keeps every message it accepts."""
    server = _SmtpServer(("127.0.0.1", 0), _SmtpHandler)
    server.stub = SmtpStub(port=server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.stub
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
