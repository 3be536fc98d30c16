"""A real webhook receiver on 127.0.0.1 for the notification tests: it records every POST and answers as told."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class Hook:
    """What the local webhook receiver got, and how it answers next."""

    def __init__(self):
        self.received: list[dict] = []
        self.statuses: list[int] = []  # answered in order; 200 once empty
        self.answer = b""  # the body of a non-2xx answer (b"upstream exploded" unless set)
        self.check = None  # check(headers, raw body) -> bool; a request it refuses is answered 401
        self.hold_for = 0.0  # seconds to wait before answering, unless released earlier
        self.entered = threading.Event()
        self.release = threading.Event()
        self.url = ""
        self.port = 0

    def next_status(self) -> int:
        return self.statuses.pop(0) if self.statuses else 200


@pytest.fixture
def hook():
    """A real HTTP server on 127.0.0.1 (an ephemeral port) in a thread, recording every POST."""
    state = Hook()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append(
                {
                    "path": self.path,
                    "content_type": self.headers["Content-Type"],
                    "json": json.loads(raw),
                    "raw": raw,
                    "headers": dict(self.headers),
                }
            )
            state.entered.set()
            if state.hold_for:
                state.release.wait(state.hold_for)
            status = 401 if state.check and not state.check(self.headers, raw) else state.next_status()
            try:
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else state.answer or b"upstream exploded")
            except OSError:  # the client gave up waiting: that is the point of the timeout test
                pass

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.port = server.server_port
    state.url = f"http://127.0.0.1:{server.server_port}/hooks/desk?token=s3cret"
    yield state
    state.release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)
