"""The devnet LLM gateway relays an upstream stream in batches: what the upstream sends
close together goes on as one event, the text arrives whole and in order, an upstream
error comes after the text that came before it, and a stream past its deadline is cut.

A real upstream (a stdlib HTTP server in this process) and real HTTP; no devnet needed.
"""

from __future__ import annotations

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from og_tui.devnet.llm import upstream
from og_tui.devnet.llm.builtin import GenRequest
from og_tui.devnet.llm.catalog import BACKEND_UPSTREAM, ModelSpec

TEXT = (
    "Here is a **reply** with `code`:\n\n```python\ndef f(x):\n    return x * 2\n```\n\n"
    "- one\n- two\n  - nested\n\n1. first\n2. second\n\n> quoted\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
) * 6


def _tokens(text: str) -> list[str]:
    out, i = [], 0
    while i < len(text):
        step = 1 + (i * 7) % 5  # uneven pieces, some splitting multi-byte runs of markup
        out.append(text[i : i + step])
        i += step
    return out


def _event(obj: dict) -> bytes:
    return b"data: " + json.dumps(obj).encode() + b"\n\n"


def _delta(text: str) -> bytes:
    return _event({"id": "u", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": text}}]})


class _Upstream:
    """Streams TEXT as one burst of token events; the model asked for picks the ending:
    ``done`` (finish + usage + [DONE]), ``error`` (an error event after the text) or
    ``stall`` (the text, then nothing until the client goes)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                ending = body.get("model") or "done"
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                self.wfile.write(b"".join(_delta(t) for t in _tokens(TEXT)))
                self.wfile.flush()
                if ending == "error":
                    error = json.dumps({"error": {"message": "model crashed"}}).encode()
                    self.wfile.write(b"event: error\ndata: " + error + b"\n\n")
                elif ending == "stall":
                    owner.release.wait(10)
                else:
                    self.wfile.write(
                        _event(
                            {
                                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                                "usage": {"prompt_tokens": 3, "completion_tokens": 99, "total_tokens": 102},
                            }
                        )
                    )
                    self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def up():
    server = _Upstream()
    yield server
    server.close()


def _open(url: str, ending: str) -> upstream.UpstreamStream:
    spec = ModelSpec(
        id="relay/test", price_per_token=1, backend=BACKEND_UPSTREAM, upstream_url=url, remote_model=ending
    )
    req = GenRequest(kind="chat", model=spec.id, messages=[{"role": "user", "content": "hi"}], max_tokens=1000)
    return upstream.UpstreamStream(spec, req, timeout=10.0)


async def _relay(url: str, ending: str, limit: float = 30.0) -> tuple[list, upstream.UpstreamStream, Exception | None]:
    stream = _open(url, ending)
    await stream.open()
    batches: list[list[dict]] = []
    error = None
    try:
        async for batch in stream.batches(0.03, asyncio.get_running_loop().time() + limit):
            batches.append(batch)
    except upstream.UpstreamError as exc:
        error = exc
    finally:
        await stream.aclose()
    return batches, stream, error


def _text(batches: list[list[dict]]) -> str:
    return "".join(
        (ch.get("delta") or {}).get("content") or "" for batch in batches for obj in batch for ch in obj["choices"]
    )


def test_a_burst_is_relayed_whole_in_few_batches(up):
    batches, stream, error = asyncio.run(_relay(up.url, "done"))
    assert error is None and not stream.cut
    assert _text(batches) == TEXT
    tokens = len(_tokens(TEXT))
    assert len(batches) < tokens / 10  # (the upstream wrote all its tokens at once)
    assert stream.usage == {"prompt_tokens": 3, "completion_tokens": 99, "total_tokens": 102}


def test_an_upstream_error_comes_after_the_text_before_it(up):
    batches, stream, error = asyncio.run(_relay(up.url, "error"))
    assert isinstance(error, upstream.UpstreamError) and "model crashed" in str(error)
    assert _text(batches) == TEXT


def test_a_stream_past_its_deadline_is_cut(up):
    batches, stream, error = asyncio.run(_relay(up.url, "stall", limit=1.0))
    assert error is None and stream.cut
    assert _text(batches) == TEXT
