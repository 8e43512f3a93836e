"""Real servers on loopback for the notification tests: an SMTP mailbox (aiosmtpd) and a webhook
receiver (http.server) that checks the HMAC signature."""
from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import json
import random
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A port free now for a server started a moment later (and maybe restarted on it). Taken
    below the kernel's ephemeral range (32768-60999 on Linux): no outgoing connection meanwhile can
    be handed it, as one picked with bind(0) could be."""
    for port in random.sample(range(20000, 32000), 200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port between 20000 and 32000")


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        return self.message.get_content()


class Mailbox:
    """aiosmtpd handler: keeps what it accepts; can refuse recipients or drop the connection at DATA."""

    def __init__(self):
        self.received: list[Received] = []
        self.refused: set[str] = set()
        self.drop_for: set[str] = set()
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refused:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if any(r.lower() in self.drop_for for r in envelope.rcpt_tos):
            server.transport.close()  # hang up before answering: the client never learns the outcome
            return "250 never seen"
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=email.policy.default)
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 2.0.0 Ok: queued"

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if address in r.rcpt_tos]


class SmtpServer:
    def __init__(self, port: int | None = None):
        self._chosen = port is None  # a port picked here may be taken before the first start: pick again
        self.port = port or free_port()
        self.mailbox = Mailbox()
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def received(self) -> list[Received]:
        return self.mailbox.received

    def start(self) -> "SmtpServer":
        for attempt in range(20):
            # ready_timeout: aiosmtpd's 5 s default is short for a thread start on a busy machine
            controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port, ready_timeout=30)
            try:
                controller.start()
            except OSError:  # EADDRINUSE: free_port() only said the port was free a moment ago
                if not self._chosen or attempt == 19:
                    raise
                self.port = free_port()
                continue
            break
        self._chosen = False  # restarts (the server "coming back") keep the port the client knows
        self.controller = controller
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def wait_for(self, count: int, timeout: float = 60.0) -> list[Received]:  # a poll: a wide margin is free
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.received) >= count:
                return self.received
            time.sleep(0.05)
        raise AssertionError(f"expected {count} message(s), got {len(self.received)}")


@dataclass
class WebhookServer:
    secret: str = ""
    status: int = 200
    deliveries: list[dict] = field(default_factory=list)

    def start(self) -> "WebhookServer":
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                expected = "sha256=" + hmac.new(owner.secret.encode(), body, hashlib.sha256).hexdigest()
                valid = hmac.compare_digest(expected, self.headers.get("X-Certdesk-Signature", ""))
                owner.deliveries.append({"valid": valid, "headers": dict(self.headers), "json": json.loads(body)})
                self.send_response(owner.status if valid else 401)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
