"""The devnet's HTTPS listener: the same routes over TLS with the TEE's registered certificate.

The TEE registry lists ``https://<host>:<tls port>`` as the gateway's endpoint; clients pin
the certificate the registry holds (SDK 1.1.4 and og-tui do). :func:`prepare` binds the port
(``OG_TUI_DEVNET_TEE_TLS_PORT``, default any free port) before the services start, so the
gateway registers that endpoint; :func:`run` serves both listeners in one event loop, and
stops both when either stops (a signal stops them together).
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from typing import Any, Optional
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.middleware import Middleware


@dataclass
class TlsListener:
    server: Any  # uvicorn.Server
    sock: Any
    url: str


def _port() -> int:
    from og_tui.devnet.tee import ENV_TLS_PORT

    raw = os.environ.get(ENV_TLS_PORT) or "0"
    try:
        port = int(raw)
    except ValueError:
        raise ValueError(f"{ENV_TLS_PORT} must be a TCP port number, not {raw!r}") from None
    if not 0 <= port <= 65535:
        raise ValueError(f"{ENV_TLS_PORT} {port} is not a TCP port (0-65535)")
    return port


def prepare(node: Any, app: Starlette, host: str, limits: Any, public_url: Optional[str] = None) -> TlsListener:
    """Bind the TLS port, build its app (``app``'s routes behind a Guard for this port) and
    tell ``node`` its endpoint (``node.tee_endpoint``): ``https://`` and the host of
    ``public_url`` when the devnet has one, else its listening address, and the TLS port."""
    import uvicorn

    from og_tui.devnet.guard import Guard, Site, connect_host, shown_host
    from og_tui.devnet.server import _bind
    from og_tui.devnet.tee import heartbeat_settings
    from og_tui.devnet.tee.identity import TeeIdentity

    heartbeat_settings()  # a bad setting stops the devnet here, with its message
    identity = TeeIdentity(node.data_dir)
    node.tee_identity = identity
    sock = _bind(host, _port())
    port = sock.getsockname()[1]
    name = urlsplit(public_url).hostname if public_url else None
    url = f"https://{shown_host(name or connect_host(host))}:{port}"
    site = Site(host=host, port=port, public_url=url)
    tls_app = Starlette(middleware=[Middleware(Guard, limits=limits, site=site)])
    tls_app.router.default = app.router  # every route of the devnet, once they are installed
    tls_app.state.node = node
    config = uvicorn.Config(
        tls_app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        ssl_keyfile=str(identity.tls_key_path),
        ssl_certfile=str(identity.tls_cert_path),
    )
    node.tee_endpoint = url
    return TlsListener(uvicorn.Server(config), sock, url)


def run(server: Any, sock: Any, tls: Optional[TlsListener]) -> None:
    """Serve ``server`` on ``sock`` and the TLS listener beside it until either stops."""
    if tls is None:
        server.run(sockets=[sock])
        return

    async def both() -> None:
        async def plain() -> None:
            try:
                await server.serve(sockets=[sock])
            finally:
                tls.server.should_exit = True

        async def secure() -> None:
            try:
                await tls.server.serve(sockets=[tls.sock])
            finally:
                server.should_exit = True

        await asyncio.gather(plain(), secure())

    asyncio.run(both())
