"""Build a gateway for a profile and wallet, and run it (foreground or in a thread).

    gw = build_gateway(profile, signer, db_path, caps=SpendCaps.from_settings(settings))
    server = GatewayServer(gw, host="127.0.0.1", port=8746)
    server.run()                   # foreground, until Ctrl-C
    # or: server.start() ... server.stop()  (a thread; tests and benchmarks)

Stopping closes the client and forgets the signer: the wallet is unlocked only while the
gateway runs.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from typing import Any, Optional

from og_tui.core.errors import ValidationError
from og_tui.serve.budget import GatewayCaps, GatewayOpgCaps
from og_tui.serve.gateway import DEFAULT_MAX_TOKENS, DEFAULT_PORT, Gateway
from og_tui.serve.keys import KeyBook

__all__ = ["GatewayServer", "build_gateway", "check_port", "is_loopback"]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_port(host: str, port: int) -> None:
    """ValidationError naming the address when the gateway could not listen there.

    SO_REUSEADDR, as uvicorn binds: the connections of a gateway stopped a moment ago (in
    TIME_WAIT) do not hold the port, another program listening there does."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, int(port)))
        except OSError as exc:
            raise ValidationError(
                f"Cannot listen on {host}:{port} ({exc.strerror or exc}).",
                hint="Another program may use that port: pick another with --port.",
            ) from None


def build_gateway(
    profile: Any,
    signer: Any,
    db_path: Any,
    *,
    caps: Any = None,
    chain: Any = None,
    settlement: str = "settle-batch",
    default_max_tokens: int = DEFAULT_MAX_TOKENS,
    opg_caps: Any = None,
) -> Gateway:
    """A Gateway paying from ``signer`` on ``profile``; payments go to the history at ``db_path``."""
    from og_tui.core.llm import LLMClient
    from og_tui.core.store import Store

    store = Store(db_path)
    book = KeyBook(db_path, store=store)  # one connection to the file in this process
    gcaps = GatewayCaps(book, caps, decimals=profile.payment_token_decimals, symbol=profile.payment_token_symbol)
    # x402 v2 payments: the key's OPG budgets and ``opg_caps``, the global OPG caps
    ocaps = GatewayOpgCaps(gcaps, opg_caps)
    client = LLMClient(profile, signer, store=store, caps=gcaps, chain=chain, opg_caps=ocaps)
    return Gateway(
        client, book, gcaps, settlement=settlement, default_max_tokens=default_max_tokens, store=store, opg_caps=ocaps
    )


class GatewayServer:
    """uvicorn around a :class:`Gateway`."""

    def __init__(
        self, gateway: Gateway, host: str = "127.0.0.1", port: int = DEFAULT_PORT, *, log_level: str = "warning"
    ) -> None:
        import uvicorn

        if not 0 <= int(port) <= 65535:
            raise ValidationError(f"The port must be from 0 to 65535, not {port}.")
        self.gateway = gateway
        self.host = host
        self.port = int(port)
        self.server = uvicorn.Server(
            uvicorn.Config(
                gateway.app, host=host, port=self.port, log_level=log_level, lifespan="off", access_log=False
            )
        )
        self._thread: Optional[threading.Thread] = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/v1"

    def check_port(self) -> None:
        check_port(self.host, self.port)

    def run(self) -> None:
        """Serve in the foreground until interrupted; then forget the wallet."""
        try:
            self.server.run()
        finally:
            self.close()

    def start(self, timeout: float = 15.0) -> "GatewayServer":
        self._thread = threading.Thread(target=self.server.run, name="og-gateway", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"The gateway did not start on {self.host}:{self.port}.")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.close()

    def close(self) -> None:
        gw = self.gateway
        gw.client.signer = None
        gw.client.close()
        gw.book.close()
        if gw.store is not None:
            gw.store.close()
