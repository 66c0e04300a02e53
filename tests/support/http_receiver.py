"""An HTTP receiver on loopback for webhook and ntfy deliveries: records, can fail on purpose."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Request:
    method: str
    path: str
    headers: dict  # lower-case names
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class Receiver:
    status: int = 200
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self):
        self._server: ThreadingHTTPServer | None = None
        self._changed = threading.Condition()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._changed:
                    receiver.requests.append(Request(
                        "POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    receiver._changed.notify_all()
                    status = receiver.status
                payload = b'{"ok": true}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Request]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"receiver got {len(self.requests)} of {count} requests")
                self._changed.wait(left)
            return list(self.requests)

    def quiet_for(self, seconds: float) -> int:
        """Wait ``seconds`` and return how many requests came meanwhile."""
        before = len(self.requests)
        time.sleep(seconds)
        return len(self.requests) - before
