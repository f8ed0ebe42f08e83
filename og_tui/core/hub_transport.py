"""An httpx transport whose socket reads ask for up to 1 MiB at a time.

httpcore reads 64 KiB per ``recv``; a large download then makes 16,000 trips per GiB
through h11 and Python, which cost more CPU than the bytes themselves. Asking for up
to ``WIDE_READ`` bytes (the socket returns what it has) cuts that overhead ~16x; h11
buffers any bytes past the current event exactly as it does for smaller reads.

:class:`WideReadTransport` is built only from public constructors: an
``httpcore.ConnectionPool`` given a wrapping ``network_backend``, and the request and
response mapping httpx documents for custom transports. httpcore's exceptions are
mapped to httpx's of the same name, so callers catch ``httpx.ConnectError``,
``httpx.ReadTimeout`` and friends as with the default transport. Proxies from the
environment are still honoured: httpx mounts its own proxy transports ahead of this one.
"""

from __future__ import annotations

import contextlib
import ssl
from typing import Any, Iterable, Iterator, Optional

import httpcore
import httpx

__all__ = ["WIDE_READ", "WideReadStream", "WideReadBackend", "WideReadTransport"]

WIDE_READ = 1 << 20

# what httpx.HTTPTransport uses when given no limits
_DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)


class WideReadStream(httpcore.NetworkStream):
    """A network stream whose reads ask for at least ``read_size`` bytes."""

    def __init__(self, stream: httpcore.NetworkStream, read_size: int = WIDE_READ) -> None:
        self.stream = stream
        self.read_size = read_size

    def read(self, max_bytes: int, timeout: Optional[float] = None) -> bytes:
        return self.stream.read(max(max_bytes, self.read_size), timeout)

    def write(self, buffer: bytes, timeout: Optional[float] = None) -> None:
        self.stream.write(buffer, timeout)

    def close(self) -> None:
        self.stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: Optional[str] = None, timeout: Optional[float] = None
    ) -> httpcore.NetworkStream:
        return WideReadStream(self.stream.start_tls(ssl_context, server_hostname, timeout), self.read_size)

    def get_extra_info(self, info: str) -> Any:
        return self.stream.get_extra_info(info)


class WideReadBackend(httpcore.NetworkBackend):
    """Wraps a network backend (default: httpcore's sync one) so every connection reads wide."""

    def __init__(self, backend: Optional[httpcore.NetworkBackend] = None, read_size: int = WIDE_READ) -> None:
        self.backend = backend if backend is not None else httpcore.SyncBackend()
        self.read_size = read_size

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: Optional[float] = None,
        local_address: Optional[str] = None,
        socket_options: Optional[Iterable[Any]] = None,
    ) -> httpcore.NetworkStream:
        stream = self.backend.connect_tcp(host, port, timeout, local_address, socket_options)
        return WideReadStream(stream, self.read_size)

    def connect_unix_socket(
        self, path: str, timeout: Optional[float] = None, socket_options: Optional[Iterable[Any]] = None
    ) -> httpcore.NetworkStream:
        return WideReadStream(self.backend.connect_unix_socket(path, timeout, socket_options), self.read_size)

    def sleep(self, seconds: float) -> None:
        self.backend.sleep(seconds)


def _httpx_error(exc: Exception) -> Optional[type[httpx.TransportError]]:
    """httpx's exception class named like ``exc``'s (or a base of it), if there is one."""
    for cls in type(exc).__mro__:
        target = getattr(httpx, cls.__name__, None)
        if isinstance(target, type) and issubclass(target, httpx.TransportError):
            return target
    return None


@contextlib.contextmanager
def _mapped_errors() -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        target = _httpx_error(exc) if type(exc).__module__.startswith("httpcore") else None
        if target is None:
            raise
        raise target(str(exc)) from exc


class _ResponseStream(httpx.SyncByteStream):
    def __init__(self, stream: Iterable[bytes]) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        with _mapped_errors():
            yield from self._stream

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


class WideReadTransport(httpx.BaseTransport):
    """A direct (no proxy) HTTP/1.1 transport reading up to ``read_size`` bytes per recv."""

    def __init__(
        self,
        *,
        verify: ssl.SSLContext | str | bool = True,
        limits: httpx.Limits = _DEFAULT_LIMITS,
        read_size: int = WIDE_READ,
    ) -> None:
        self.pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=WideReadBackend(read_size=read_size),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        req = httpcore.Request(
            method=request.method,
            url=httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _mapped_errors():
            resp = self.pool.handle_request(req)
        assert isinstance(resp.stream, Iterable)
        return httpx.Response(
            status_code=resp.status,
            headers=resp.headers,
            stream=_ResponseStream(resp.stream),
            extensions=resp.extensions,
        )

    def close(self) -> None:
        self.pool.close()
