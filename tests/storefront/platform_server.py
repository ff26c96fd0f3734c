"""A local stand-in for a shop platform's API: a real HTTP server on 127.0.0.1 (port 0: the
system picks a free one) that records every request and answers what the test scripted, in
order. Each test scripts the answers the platforms' documentation shows."""

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Seen:
    method: str
    path: str
    headers: dict
    body: object


@dataclass
class PlatformServer:
    url: str = ""
    requests: list[Seen] = field(default_factory=list)
    answers: list[tuple[int, dict, object]] = field(default_factory=list)

    def answer(self, status: int, body, headers: dict | None = None) -> None:
        """Script the next answer; `body` may be a function of the request (Seen)."""
        self.answers.append((status, headers or {}, body))


def serve() -> tuple[PlatformServer, ThreadingHTTPServer]:
    state = PlatformServer()

    class Handler(BaseHTTPRequestHandler):
        def _handle(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            state.requests.append(Seen(
                method=self.command, path=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=json.loads(raw) if raw else None))
            status, headers, body = (state.answers.pop(0) if state.answers
                                     else (500, {}, {"error": "no answer scripted"}))
            if callable(body):
                body = body(state.requests[-1])
            data = json.dumps(body).encode() if not isinstance(body, str) else body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _handle

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                     daemon=True).start()
    return state, server
