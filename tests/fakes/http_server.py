"""A tiny threaded HTTP server that answers from a script and records every request."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)


Responder = Callable[[Request], Reply]


class _Server(ThreadingHTTPServer):
    # socketserver's backlog of 5 resets connections when a client opens a few dozen at
    # once (the bot's pool holds 32), which no real API server does.
    request_queue_size = 256
    daemon_threads = True


class FakeServer:
    """Serve `responder(request)` on 127.0.0.1:<free port>; `requests` records what arrived."""

    def __init__(self, responder: Responder) -> None:
        self.responder = responder
        self.requests: list[Request] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                parts = urlsplit(self.path)
                request = Request(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                outer.requests.append(request)
                reply = outer.responder(request)
                body = reply.body.encode() if isinstance(reply.body, str) else reply.body
                self.send_response(reply.status)
                headers = {"content-type": "application/json", **reply.headers}
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                # The client may have given up (e.g. a long poll cancelled at shutdown).
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            do_GET = do_POST = _handle

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = _Server(("127.0.0.1", 0), Handler)
        # serve_forever notices shutdown() only between polls (every 0.5 s by default): every
        # test using a fake server waited that long at its end. Connections are served at
        # once either way.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def scripted(*replies: Reply) -> Responder:
    """Answer with `replies` in order, repeating the last one forever."""
    queue = list(replies)

    def respond(_request: Request) -> Reply:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return respond
