"""A fake OpenAI-compatible upstream for the terminal-chat bench: a stdlib HTTP server in this process.

It answers ``GET .../models`` with the one model ``MODEL`` and streams every chat completion
as ``tokens`` tokens at ``rate`` tokens/s (a blank line every 60 tokens, the last token the
marker ``END``), noting when it wrote the first and the last token.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL = "bench/stream"
END = "ENDMARK-4217"
WORDS = [
    "the",
    "devnet",
    "settles",
    "every",
    "payment",
    "on",
    "chain",
    "and",
    "records",
    "its",
    "hash",
    "so",
    "that",
    "a",
    "reply",
    "can",
    "be",
    "audited",
    "later",
    "while",
    "the",
    "gateway",
    "streams",
    "tokens",
    "to",
    "the",
    "app",
    "at",
    "a",
    "steady",
    "pace",
]


class Upstream:
    """An OpenAI-compatible server streaming ``tokens`` tokens at ``rate`` tokens/s per request."""

    def __init__(self, tokens: int, rate: float) -> None:
        self.tokens = tokens
        self.rate = rate
        self.first: float | None = None  # perf_counter of the first / last token written
        self.last: float | None = None
        self.requests = 0
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/models"):
                    self._json({"object": "list", "data": [{"id": MODEL, "object": "model", "owned_by": "bench"}]})
                else:
                    self._json({"error": {"message": "not found"}}, 404)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    body = {}
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._json({"error": {"message": "not found"}}, 404)
                    return
                upstream.requests += 1
                if not body.get("stream"):
                    text = "".join(upstream.token(i) for i in range(upstream.tokens))
                    self._json(
                        {
                            "id": "bench",
                            "object": "chat.completion",
                            "model": MODEL,
                            "choices": [
                                {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                            ],
                            "usage": {
                                "prompt_tokens": 8,
                                "completion_tokens": upstream.tokens,
                                "total_tokens": upstream.tokens + 8,
                            },
                        }
                    )
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                try:
                    upstream.stream(self.wfile)
                except OSError:  # the client went away
                    pass
                self.close_connection = True

            def _json(self, obj: dict, status: int = 200) -> None:
                data = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def token(self, i: int) -> str:
        if i == self.tokens - 1:
            return " " + END
        if i % 60 == 59:
            return "\n\n"
        word = WORDS[i % len(WORDS)]
        return word if i % 60 == 0 else " " + word

    def stream(self, out) -> None:
        def event(obj: dict) -> bytes:
            return b"data: " + json.dumps(obj).encode() + b"\n\n"

        self.first = self.last = None
        t0 = time.perf_counter()
        i = 0
        while i < self.tokens:
            due = min(self.tokens, int((time.perf_counter() - t0) * self.rate) + 1)
            if due <= i:
                time.sleep(max(0.0, t0 + i / self.rate - time.perf_counter()))
                continue
            chunk = b"".join(
                event(
                    {
                        "id": "bench",
                        "object": "chat.completion.chunk",
                        "model": MODEL,
                        "choices": [{"index": 0, "delta": {"content": self.token(k)}, "finish_reason": None}],
                    }
                )
                for k in range(i, due)
            )
            out.write(chunk)
            out.flush()
            if self.first is None:
                self.first = time.perf_counter()
            i = due
        self.last = time.perf_counter()
        out.write(
            event(
                {
                    "id": "bench",
                    "object": "chat.completion.chunk",
                    "model": MODEL,
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 8, "completion_tokens": self.tokens, "total_tokens": self.tokens + 8},
                }
            )
        )
        out.write(b"data: [DONE]\n\n")
        out.flush()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
