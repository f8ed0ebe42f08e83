"""What the security tests share: raw HTTP to a devnet, its memory, a liveness check."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import httpx

JSON = {"Content-Type": "application/json"}


def post(
    devnet, path: str, body: bytes | str | Any, headers: dict | None = None, timeout: float = 60
) -> httpx.Response:
    """POST ``body`` (bytes/str as they are, anything else as JSON) with ``headers`` (JSON content type by default)."""
    if not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    return httpx.post(devnet.url + path, content=body, headers=JSON if headers is None else headers, timeout=timeout)


def rpc(devnet, method: str, *params, req_id: Any = 1) -> dict:
    """One JSON-RPC request; the whole answer object (result or error)."""
    resp = post(devnet, "/rpc", {"jsonrpc": "2.0", "id": req_id, "method": method, "params": list(params)})
    assert resp.status_code == 200, resp.text
    return resp.json()


def rss_kib(devnet) -> int:
    """Resident memory of the devnet process (KiB), from /proc."""
    for line in Path(f"/proc/{devnet.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc status")


def assert_alive(devnet) -> None:
    """The process runs and answers /health and JSON-RPC."""
    assert devnet.proc is not None and devnet.proc.poll() is None, devnet.log_text()[-3000:]
    health = httpx.get(devnet.url + "/health", timeout=30)
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert rpc(devnet, "eth_chainId")["result"] == hex(devnet.info["chain_id"])


def raw_request(devnet, head: str, body_chunks=(), read_timeout: float = 30) -> tuple[bytes, int]:
    """Send a hand-written request head, then ``body_chunks`` until the server stops taking them.

    Returns (whatever the server answered, bytes of body it took before closing or answering).
    """
    sent = 0
    answer = b""
    with socket.create_connection(("127.0.0.1", devnet.port), timeout=read_timeout) as sock:
        sock.sendall(head.encode("latin-1"))
        try:
            for chunk in body_chunks:
                sock.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            pass
        try:
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
                if b"\r\n\r\n" in answer:
                    head_part, _, rest = answer.partition(b"\r\n\r\n")
                    length = [
                        int(h.split(b":")[1])
                        for h in head_part.split(b"\r\n")
                        if h.lower().startswith(b"content-length:")
                    ]
                    if length and len(rest) >= length[0]:
                        break
        except (ConnectionResetError, socket.timeout):
            pass
    return answer, sent


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
