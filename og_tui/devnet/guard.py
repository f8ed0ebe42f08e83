"""The devnet's front door: an ASGI middleware in front of every route.

In order, for each HTTP request:

1. **Host**: refused (403) unless it names the devnet (its ``--host``, the host of its
   public URL) or a loopback name (``localhost``, ``127.0.0.1``, ``[::1]``), with its
   port or none. This stops DNS rebinding: a web page whose name resolves to 127.0.0.1
   still sends its own name. The Host header is then replaced by the configured one (or,
   for an app built without its port, the listening socket's address), so every URL built
   downstream (``request.url``, the x402 ``resource``) comes from the configuration,
   never from the request.
2. **Origin** (sent by browsers): refused (403) unless it is the devnet's own origin or
   allowed with ``--cors``; allowed cross-origin requests get CORS headers, and their
   preflight (``OPTIONS``) is answered here.
3. **Body**: POST/PUT/PATCH bodies must be ``application/json`` (415 otherwise; ``/auth``
   also takes form bodies, hub uploads are multipart and stream through with their own
   limit). JSON bodies are read here up to ``limits.max_body`` (413 past it, from the
   Content-Length before reading anything, or while reading a chunked body), their
   nesting depth is checked without recursion (400, or JSON-RPC -32700 on ``/rpc``),
   and they are replayed to the route.
4. **Catch-all**: an exception escaping a route becomes a JSON error instead of a bare
   500: a 400 when the exception is the kind bad input raises (ValueError, TypeError,
   RecursionError, ...), a 500 otherwise; both are logged.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Optional

from og_tui.devnet.limits import DevnetLimits, JsonTooDeep, check_depth

log = logging.getLogger("og_tui.devnet.guard")

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
INPUT_FAULTS = (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError, RecursionError)
UPLOAD_PATH = re.compile(r"^/api/v0/models/[^/]+/versions/[^/]+/files/?$")
EXPOSED_HEADERS = "X-PAYMENT-RESPONSE, x-processing-hash, x-og-backend, x-settlement-type, x-ipfs-cid"
BODY_METHODS = ("POST", "PUT", "PATCH")

Scope = dict
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]


@dataclass
class Site:
    """Where the devnet listens and whom it serves (built by ``server.serve`` from its flags)."""

    host: str = "127.0.0.1"
    port: Optional[int] = None  # None: any port (an app built without a socket, e.g. in a script)
    public_url: Optional[str] = None  # the URL the devnet hands out; default http://<host>:<port>
    cors_origins: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"http://{self.authority}"

    @property
    def authority(self) -> str:
        host = shown_host(connect_host(self.host))
        return host if self.port is None else f"{host}:{self.port}"

    def host_names(self) -> set[str]:
        names = set(LOOPBACK_NAMES) | {shown_host(self.host).lower()}
        if self.public_url:
            names.add(_split_host(re.sub(r"^[a-z]+://", "", self.public_url.lower()).split("/")[0])[0])
        return names


def is_loopback(host: str) -> bool:
    return host.strip("[]").lower() in ("localhost", "::1") or host.startswith("127.")


def connect_host(host: str) -> str:
    """The address a local client uses for a listening address (wildcards mean loopback)."""
    return {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1", "[::]": "::1"}.get(host, host)


def shown_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _split_host(value: str) -> tuple[str, Optional[str]]:
    """``name[:port]`` / ``[v6][:port]`` -> (name, port or None); names lower-cased, trailing dot dropped."""
    value = value.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        name, rest = value[: end + 1], value[end + 1 :]
        port = rest[1:] if rest.startswith(":") else (None if not rest else "?")
    elif value.count(":") == 1:
        name, port = value.split(":")
    else:
        name, port = value, None
    return name.rstrip("."), port


class Guard:
    """ASGI middleware: see the module docstring. Mounted inside Starlette's error middleware."""

    def __init__(self, app: Any, limits: DevnetLimits, site: Site) -> None:
        self.app = app
        self.limits = limits
        self.site = site
        self.names = site.host_names()
        port = "" if site.port is None else f":{site.port}"
        self.own_origins = {f"http://{name}{port}" for name in self.names}
        if site.public_url:
            self.own_origins.add(site.url.lower())
        self.cors = {o.rstrip("/").lower() for o in site.cors_origins}
        self.authority = site.url.split("://", 1)[-1].split("/")[0].encode("latin-1")

    # -- checks --------------------------------------------------------------------------------
    def host_allowed(self, value: str, listening_port: Optional[int] = None) -> bool:
        name, port = _split_host(value)
        if name not in self.names:
            return False
        expected = self.site.port if self.site.port is not None else listening_port
        return port is None or expected is None or port == str(expected)

    def _authority(self, scope: Scope) -> bytes:
        """The Host every route sees: the configured one, or (app built without its port) the listening socket's."""
        server = scope.get("server")
        if self.site.port is not None or self.site.public_url or not server or server[1] is None:
            return self.authority
        return f"{shown_host(connect_host(self.site.host))}:{server[1]}".encode("latin-1")

    def cors_allowed(self, origin: str) -> bool:
        return "*" in self.cors or origin in self.cors

    # -- ASGI ----------------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        path = scope.get("path", "")
        rpc = path.rstrip("/") == "/rpc"
        host = headers.get("host")
        server = scope.get("server")
        if host is not None and not self.host_allowed(host, server[1] if server else None):
            allowed = ", ".join(sorted(self.names))
            await _reply(
                send,
                403,
                f"Host {host!r} is not served by this devnet (it answers to {allowed}); "
                "it is local-only unless started with --host and --allow-remote.",
                rpc,
            )
            return
        origin = headers.get("origin")
        cross = None
        if origin is not None:
            norm = origin.rstrip("/").lower()
            if norm not in self.own_origins:
                if not self.cors_allowed(norm):
                    await _reply(
                        send,
                        403,
                        f"Cross-origin request from {origin!r} refused: the devnet only "
                        "serves browsers from origins allowed with --cors ORIGIN.",
                        rpc,
                    )
                    return
                cross = origin
        if cross is not None and scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await self._preflight(send, cross, headers)
            return
        scope = dict(
            scope,
            headers=[(k, v) for k, v in scope.get("headers", []) if k.lower() != b"host"]
            + [(b"host", self._authority(scope))],
        )
        if scope["method"] in BODY_METHODS:
            receive = await self._body(scope, receive, send, headers, path, rpc)
            if receive is None:
                return
        await self._run(scope, receive, send, cross, rpc)

    async def _preflight(self, send: Send, origin: str, headers: dict) -> None:
        out = [
            (b"access-control-allow-origin", origin.encode("latin-1")),
            (b"vary", b"Origin"),
            (b"access-control-allow-methods", b"GET, POST, HEAD, OPTIONS"),
            (b"access-control-max-age", b"600"),
            (b"content-length", b"0"),
        ]
        wanted = headers.get("access-control-request-headers")
        if wanted:
            out.append((b"access-control-allow-headers", wanted.encode("latin-1")))
        await send({"type": "http.response.start", "status": 204, "headers": out})
        await send({"type": "http.response.body", "body": b""})

    async def _body(
        self, scope: Scope, receive: Receive, send: Send, headers: dict, path: str, rpc: bool
    ) -> Optional[Receive]:
        """Check and read a request body; returns the receive to give the route, or None if answered."""
        ctype = headers.get("content-type", "").split(";")[0].strip().lower()
        length = headers.get("content-length")
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        if UPLOAD_PATH.match(path):
            return receive  # hub uploads stream to disk under the hub's own size limit
        if not chunked and length in (None, "0"):
            return receive  # no body: nothing to check
        accepted = (
            ("application/json", "application/x-www-form-urlencoded")
            if path.startswith("/auth/")
            else ("application/json",)
        )
        if ctype not in accepted:
            await _reply(
                send,
                415,
                f"Unsupported Content-Type {ctype or '(none)'!r} for {path}: send {' or '.join(accepted)}.",
                rpc,
            )
            return None
        cap = self.limits.max_body
        too_large = (
            f"Request body too large: this devnet accepts at most {cap} bytes "
            f"({cap / 1048576:g} MiB) on {path} (--max-body-mib)."
        )
        if length is not None and not chunked:
            try:
                declared = int(length)
            except ValueError:
                await _reply(send, 400, f"Invalid Content-Length {length!r}.", rpc)
                return None
            if declared > cap:
                await _reply(send, 413, too_large, rpc)
                return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > cap:
                await _reply(send, 413, too_large, rpc)
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if ctype == "application/json":
            try:
                check_depth(body, self.limits.max_json_depth)
            except JsonTooDeep as exc:
                await _reply(send, 400, f"Malformed JSON body: {exc} (the limit is {exc.limit}).", rpc, -32700)
                return None
        sent = False

        async def replay() -> dict:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay

    async def _run(self, scope: Scope, receive: Receive, send: Send, cross: Optional[str], rpc: bool) -> None:
        started = False

        async def guarded_send(message: dict) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if cross is not None:
                    extra = [(b"access-control-allow-origin", cross.encode("latin-1")), (b"vary", b"Origin")]
                    names = {k.lower() for k, _ in message.get("headers", [])}
                    if b"access-control-expose-headers" not in names:
                        extra.append((b"access-control-expose-headers", EXPOSED_HEADERS.encode("latin-1")))
                    message = dict(message, headers=list(message.get("headers", [])) + extra)
            await send(message)

        try:
            await self.app(scope, receive, guarded_send)
        except Exception as exc:
            if started:
                raise
            what = f"{type(exc).__name__}: {str(exc)[:300]}"
            if isinstance(exc, INPUT_FAULTS):
                log.warning("%s %s: input refused (%s)", scope["method"], scope.get("path"), what, exc_info=True)
                await _reply(guarded_send, 400, f"The devnet cannot handle this request ({what}).", rpc, -32600)
            else:
                log.exception("%s %s failed", scope["method"], scope.get("path"))
                await _reply(guarded_send, 500, f"Internal error of the devnet ({what}).", rpc, -32603)


async def _reply(send: Send, status: int, message: str, rpc: bool = False, rpc_code: int = -32600) -> None:
    """A JSON error: ``{"error": message}``, or a JSON-RPC error object on /rpc; the connection is closed."""
    if rpc:
        body: dict = {"jsonrpc": "2.0", "id": None, "error": {"code": rpc_code, "message": message}}
        if rpc_code == -32700:
            status = 200  # a parse error is a JSON-RPC answer, like any other malformed request
    else:
        body = {"error": message}
    raw = json.dumps(body).encode("utf-8")
    # "connection: close": the server then drops the connection instead of reading (and
    # discarding) the rest of a refused body
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(raw)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": raw})


__all__ = ["LOOPBACK_NAMES", "Guard", "Site", "connect_host", "is_loopback", "shown_host"]
