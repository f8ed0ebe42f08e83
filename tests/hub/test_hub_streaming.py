"""Streaming paths of the hub: wide socket reads in the client, chunk handling in the
devnet's blob store, the HTTP parser the devnet serves with, and a multi-MiB round trip."""

from __future__ import annotations

import hashlib
import os

import httpx

from hub_helpers import unique

from og_tui.core import hub as core_hub
from og_tui.core.cid import cid_for_bytes, cid_for_file
from og_tui.core.hub import HubClient
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
    backend = core_hub._WideReadBackend(_FakeBackend())
    stream = backend.connect_tcp("127.0.0.1", 80, timeout=1.0)
    inner = stream._stream
    assert stream.read(64 * 1024, 5.0) == b"x"
    assert stream.read(4 * core_hub.WIDE_READ) == b"x"  # larger asks are left alone
    stream.write(b"abc", 2.0)
    assert stream.get_extra_info("is_readable") is False
    tls = stream.start_tls(None, server_hostname="hub.example")
    assert isinstance(tls, core_hub._WideReadStream)
    tls.read(1024)
    stream.close()
    assert inner.calls == [("read", core_hub.WIDE_READ, 5.0), ("read", 4 * core_hub.WIDE_READ, None),
                           ("write", b"abc", 2.0), ("start_tls", "hub.example"), ("close",)]
    assert tls._stream.calls == [("read", core_hub.WIDE_READ, None)]


def test_client_pool_reads_wide_and_keeps_proxies(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    client = HubClient("https://hub.invalid/api/v0", "https://hub.invalid/auth")
    try:
        assert isinstance(client._http._transport._pool._network_backend, core_hub._WideReadBackend)
        assert client._http._mounts  # the environment's proxy is still honoured
    finally:
        client.close()
    mock = httpx.MockTransport(lambda request: httpx.Response(200, json=[]))
    client = HubClient("http://hub.invalid/api/v0", transport=mock)
    try:
        assert client._http._transport is mock  # a caller's transport is used as given
        assert client.list_files("m", "0.01") == []
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
        pending.write(data[i:i + 300_000])
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
