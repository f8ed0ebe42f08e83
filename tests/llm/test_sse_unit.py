"""Both SSE readers against a real local HTTP server sending canned bytes: the client's
ChatStream (sync) and the devnet's UpstreamStream (async). Multi-line data, comments,
``event:`` and ``id:`` fields, an error event, and a stream cut mid-event."""

from __future__ import annotations

import asyncio
import json
import socket
import threading

import httpx
import pytest

from og_tui.core.errors import LLMError, StreamInterrupted, UpstreamUnavailable
from og_tui.core.llm_stream import ChatStream, ReplyMeta
from og_tui.devnet.llm.builtin import GenRequest
from og_tui.devnet.llm.catalog import ModelSpec
from og_tui.devnet.llm.upstream import UpstreamError, UpstreamStream


def _chunk(text: str) -> str:
    return json.dumps({"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]})


# one chunk's JSON split over three data: lines (joined with "\n", still valid JSON)
MULTILINE = '{"choices": [{"index": 0,\n "delta": {"content": "multi"},\n "finish_reason": null}]}'

STREAMS = {
    # comments, a named event to skip, ids, a chunk over several data: lines, CRLF line ends
    "/full": (
        ": keep-alive comment\n\n"
        "retry: 3000\n"
        "id: 1\n"
        f"data: {_chunk('Hello')}\n\n"
        "event: ping\n"
        'data: {"not": "a chunk"}\n\n'
        "id: 2\r\n" + "".join(f"data: {line}\r\n" for line in MULTILINE.split("\n")) + "\r\n"
        ": another comment\n"
        f"data:{_chunk(' world')}\n\n"
        "id: 3\n"
        "data: [DONE]\n\n"
    ),
    # cut in the middle of an event: the last one has no blank line and no [DONE] follows
    "/cut": f'data: {_chunk("partial")}\n\ndata: {{"choices": [{{"index"',
    # an error event before any text, then one after some text
    "/error-first": 'event: error\ndata: {"message": "backend gone", "code": "upstream_unavailable"}\n\n',
    "/error-later": f"data: {_chunk('some')}\n\nevent: error\ndata: model crashed\n\n",
    "/not-sse": '{"choices": []}',
}


class _Server:
    """A real HTTP/1.1 server on loopback: answers each path's canned body, then closes."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            head = b""
            while b"\r\n\r\n" not in head:
                data = conn.recv(65536)
                if not data:
                    return
                head += data
            head, _, rest = head.partition(b"\r\n\r\n")
            length = next(
                (
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                ),
                0,
            )
            while len(rest) < length:  # read the whole request: closing on unread bytes resets the connection
                data = conn.recv(65536)
                if not data:
                    return
                rest += data
            path = head.split(b" ", 2)[1].decode().split("/v1")[0] or "/"
            body = STREAMS[path].encode()
            ctype = b"application/json" if path == "/not-sse" else b"text/event-stream; charset=utf-8"
            # no Content-Length: the body ends when the connection closes (as a cut stream does)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: " + ctype + b"\r\nConnection: close\r\n\r\n" + body)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def server():
    srv = _Server()
    yield srv
    srv.close()


@pytest.fixture
def open_stream(server):
    clients: list = []

    def open_(path: str) -> ChatStream:
        client = httpx.Client()
        clients.append(client)
        resp = client.send(client.build_request("POST", server.url + path), stream=True)
        return ChatStream(resp, ReplyMeta(model="m", mode="TEE"))

    yield open_
    for client in clients:
        client.close()


def test_chat_stream_reads_events_by_the_spec(open_stream):
    stream = open_stream("/full")
    contents = [chunk.content for chunk in stream]
    assert contents == ["Hello", "multi", " world"]
    assert stream.text == "Hellomulti world" and stream.done
    assert stream.last_event_id == "3"
    assert not stream.meta.interrupted


def test_chat_stream_cut_mid_event_is_interrupted(open_stream):
    stream = open_stream("/cut")
    with pytest.raises(StreamInterrupted) as err:
        for _ in stream:
            pass
    assert err.value.partial_text == "partial"  # the complete event before the cut was kept
    assert "without its final [DONE]" in str(err.value)
    assert stream.meta.interrupted and not stream.done


def test_chat_stream_error_events(open_stream):
    stream = open_stream("/error-first")
    with pytest.raises(UpstreamUnavailable) as err:
        list(stream)
    assert str(err.value) == "backend gone" and err.value.code == "upstream_unavailable"

    stream = open_stream("/error-later")
    with pytest.raises(StreamInterrupted) as err2:
        list(stream)
    assert err2.value.partial_text == "some" and "model crashed" in str(err2.value)


def test_chat_stream_refuses_a_response_that_is_not_sse(open_stream):
    stream = open_stream("/not-sse")
    with pytest.raises(LLMError) as err:
        list(stream)
    assert not isinstance(err.value, StreamInterrupted)
    assert "application/json instead of an event stream" in str(err.value)


def _upstream_chunks(server: _Server, path: str) -> tuple[list, UpstreamStream]:
    spec = ModelSpec(id="devnet/up", price_per_token=1, backend="upstream", upstream_url=server.url + path + "/v1")
    up = UpstreamStream(spec, GenRequest(kind="chat", model="devnet/up", messages=[{"role": "user", "content": "hi"}]))

    async def run() -> list:
        await up.open()
        try:
            return [obj async for obj in up.chunks()]
        finally:
            await up.aclose()

    return asyncio.run(run()), up


def test_upstream_stream_reads_events_by_the_spec(server):
    chunks, _ = _upstream_chunks(server, "/full")
    assert [c["choices"][0]["delta"]["content"] for c in chunks] == ["Hello", "multi", " world"]


def test_upstream_stream_cut_mid_event_is_an_error(server):
    with pytest.raises(UpstreamError) as err:
        _upstream_chunks(server, "/cut")
    assert "without its final [DONE]" in str(err.value)


def test_upstream_stream_error_events(server):
    with pytest.raises(UpstreamError) as err:
        _upstream_chunks(server, "/error-first")
    assert "backend gone" in str(err.value)
    with pytest.raises(UpstreamError) as err:
        _upstream_chunks(server, "/error-later")
    assert "model crashed" in str(err.value)


def test_upstream_stream_refuses_a_response_that_is_not_sse(server):
    with pytest.raises(UpstreamError) as err:
        _upstream_chunks(server, "/not-sse")
    assert "instead of an event stream" in str(err.value)
