"""Streaming paths of the hub: wide socket reads in the client, chunk handling in the
devnet's blob store, the HTTP parser the devnet serves with, and a multi-MiB round trip."""

from __future__ import annotations

import hashlib
import os

import httpx
import pytest
from hub_helpers import unique

from og_tui.core.cid import cid_for_bytes, cid_for_file
from og_tui.core.hub import HubClient
from og_tui.core.hub_transport import WIDE_READ, WideReadBackend, WideReadStream, WideReadTransport
from og_tui.devnet.hub import blobs as blobs_mod
from og_tui.devnet.hub.blobs import BlobStore


class _FakeStream:
    def __init__(self) -> None:
        self.calls: list = []

    def read(self, max_bytes, timeout=None):
        self.calls.append(("read", max_bytes, timeout))
        return b"x"

    def write(self, buffer, timeout=None):
        self.calls.append(("write", buffer, timeout))

    def close(self):
        self.calls.append(("close",))

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        self.calls.append(("start_tls", server_hostname))
        return _FakeStream()

    def get_extra_info(self, info):
        return {"is_readable": False}.get(info)


class _FakeBackend:
    def __init__(self) -> None:
        self.opened: list = []

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        self.opened.append((host, port))
        return _FakeStream()

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        return _FakeStream()

    def sleep(self, seconds):
        self.opened.append(("sleep", seconds))


def test_wide_read_stream_asks_for_more_and_delegates():
    backend = WideReadBackend(_FakeBackend())
    stream = backend.connect_tcp("127.0.0.1", 80, timeout=1.0)
    inner = stream.stream
    assert stream.read(64 * 1024, 5.0) == b"x"
    assert stream.read(4 * WIDE_READ) == b"x"  # larger asks are left alone
    stream.write(b"abc", 2.0)
    assert stream.get_extra_info("is_readable") is False
    tls = stream.start_tls(None, server_hostname="hub.example")
    assert isinstance(tls, WideReadStream)
    tls.read(1024)
    stream.close()
    assert inner.calls == [
        ("read", WIDE_READ, 5.0),
        ("read", 4 * WIDE_READ, None),
        ("write", b"abc", 2.0),
        ("start_tls", "hub.example"),
        ("close",),
    ]
    assert tls.stream.calls == [("read", WIDE_READ, None)]


def _serve_once(body: bytes, content_type: bytes = b"application/octet-stream"):
    """A one-request HTTP/1.1 server on a free loopback port: (url, thread, request heads seen)."""
    import socket
    import threading

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    seen: list = []

    def run() -> None:
        conn, _ = srv.accept()
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            seen.append(data.split(b"\r\n\r\n", 1)[0].decode("latin-1"))
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                % (content_type, len(body))
                + body
            )
        srv.close()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return f"http://127.0.0.1:{srv.getsockname()[1]}", t, seen


def test_wide_read_transport_over_a_real_socket(monkeypatch):
    """The transport asks the socket for WIDE_READ bytes per recv and returns the body intact."""
    body = os.urandom(3 * WIDE_READ + 17)
    url, t, _seen = _serve_once(body)
    asked: list = []
    real_read = WideReadStream.read

    def spy(self, max_bytes, timeout=None):
        asked.append(max(max_bytes, self.read_size))
        return real_read(self, max_bytes, timeout)

    monkeypatch.setattr(WideReadStream, "read", spy)
    with httpx.Client(transport=WideReadTransport()) as client:
        with client.stream("GET", url + "/blob") as resp:
            got = b"".join(resp.iter_bytes())
    t.join(5)
    assert resp.status_code == 200 and got == body
    assert asked and min(asked) == WIDE_READ


def test_wide_read_transport_maps_errors_to_httpx():
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with httpx.Client(transport=WideReadTransport()) as client:
        with pytest.raises(httpx.ConnectError):
            client.get(f"http://127.0.0.1:{port}/")


def test_client_reads_wide_and_keeps_proxies(monkeypatch):
    """Without a proxy, requests go through the wide-read transport; with one set in the
    environment, the proxy still applies (httpx's own transports carry the request)."""
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    body = b"[]"
    direct_url, t, seen = _serve_once(body, b"application/json")
    asked: list = []
    real_read = WideReadStream.read

    def spy(self, max_bytes, timeout=None):
        asked.append(max_bytes)
        return real_read(self, max_bytes, timeout)

    monkeypatch.setattr(WideReadStream, "read", spy)
    client = HubClient(direct_url + "/api/v0")
    try:
        assert client.list_files("m", "0.01") == []
    finally:
        client.close()
    t.join(5)
    assert asked and seen[0].startswith("GET /api/v0/")

    proxy_url, t, seen = _serve_once(body, b"application/json")
    monkeypatch.setenv("HTTP_PROXY", proxy_url)
    asked.clear()
    client = HubClient("http://hub.invalid/api/v0", "http://hub.invalid/auth")
    try:
        assert client.list_files("m", "0.01") == []
    finally:
        client.close()
    t.join(5)
    assert seen[0].startswith("GET http://hub.invalid/api/v0/")  # sent to the proxy, absolute-form
    assert not asked  # the proxy's own transport carried it

    mock = httpx.MockTransport(lambda request: httpx.Response(200, json=[]))
    client = HubClient("http://hub.invalid/api/v0", transport=mock)
    try:
        assert client.list_files("m", "0.01") == []  # a caller's transport is used as given
    finally:
        client.close()


def test_pending_blob_chunks_of_any_kind(tmp_path):
    store = BlobStore(tmp_path / "blobs")
    pieces = [os.urandom(n) for n in (1, 70_000, 1 << 20, 3, (1 << 20) + 5, 250_000)]
    pending = store.begin()
    for i, piece in enumerate(pieces):
        kind = (bytes, bytearray, memoryview)[i % 3]
        buf = kind(piece) if kind is not memoryview else memoryview(bytearray(piece))
        pending.write(buf)
        if isinstance(buf, memoryview):
            buf[:] = b"\0" * len(buf)  # the caller reuses its buffer: what was written must not change
    data = b"".join(pieces)
    cid, size = pending.finish()
    assert (cid, size) == (cid_for_bytes(data), len(data))
    assert pending.tmp_path.read_bytes() == data
    assert pending.commit(cid).read_bytes() == data


def test_pending_blob_survives_short_writes(tmp_path):
    store = BlobStore(tmp_path / "blobs")
    pending = store.begin()
    real = pending._fh

    class Trickle:
        """A raw file that writes at most 100,000 bytes per call, as a raw write may."""

        def write(self, data):
            return real.write(bytes(memoryview(data)[:100_000]))

        def close(self):
            real.close()

    pending._fh = Trickle()
    data = os.urandom(blobs_mod._FLUSH * 2 + 12345)
    for i in range(0, len(data), 300_000):
        pending.write(data[i : i + 300_000])
    cid, size = pending.finish()
    assert size == len(data) and cid == cid_for_bytes(data)
    assert pending.tmp_path.read_bytes() == data
    pending.abort()
    assert not pending.tmp_path.exists()


def test_devnet_serves_with_httptools():
    """uvicorn's "auto" HTTP implementation is httptools when the dependency is installed
    (h11 in pure Python makes the hub's uploads about half as fast)."""
    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    assert AutoHTTPProtocol.__name__ == "HttpToolsProtocol"


def test_multi_mib_round_trip(signed_in, tmp_path):
    name = unique("stream")
    signed_in.create_model(name, "streaming")
    src = tmp_path / "weights.bin"
    data = os.urandom(7 * 1024 * 1024 + 321)  # under the test hub's 8 MiB limit
    src.write_bytes(data)
    res = signed_in.upload(src, name, "0.01")
    assert res.modelCid == cid_for_file(src) and res.size == len(data)
    seen = []
    out = signed_in.download(res.modelCid, tmp_path / "back.bin", progress=lambda s, t: seen.append(s))
    assert hashlib.sha256(out.read_bytes()).digest() == hashlib.sha256(data).digest()
    assert seen[-1] == len(data)
    assert not (tmp_path / "back.bin.part").exists()
