"""The devnet HTTP server: one Starlette app on one port (uvicorn).

Routes: ``POST /rpc`` (JSON-RPC), ``POST /faucet``, ``GET /health``, ``GET /devnet/info``,
plus whatever ``og_tui.devnet.hub.routes(node)`` returns when that module exists.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import socket
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from og_tui.core import constants

if TYPE_CHECKING:
    from og_tui.devnet.node import DevnetNode

DATA_DIR_ENV = "OG_TUI_DEVNET_DATA_DIR"


def default_data_dir() -> Path:
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    from og_tui.core.config import default_data_dir as app_data_dir

    # beside the app's own data (OG_TUI_DATA_DIR moves both), so the TUI and the CLI
    # always start the same chain
    return app_data_dir() / "devnet"


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _hub_routes(node: "DevnetNode") -> list:
    try:
        from og_tui.devnet import hub
    except ModuleNotFoundError as exc:
        if exc.name in ("og_tui.devnet.hub",):
            return []
        raise
    routes = getattr(hub, "routes", None)
    return list(routes(node)) if routes is not None else []


def _llm_routes(node: "DevnetNode") -> list:
    from og_tui.devnet.llm import routes

    return list(routes(node))  # /v1/... LLM gateway with x402 (og_tui/devnet/llm/)


def create_app(node: "DevnetNode") -> Starlette:
    async def rpc(request: Request) -> Response:
        body = await request.body()
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return JSONResponse({"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}})
        answer = await run_in_threadpool(node.rpc.handle, payload)
        if answer is None:
            return Response(status_code=204)
        return JSONResponse(answer)

    async def faucet(request: Request) -> Response:
        from og_tui.devnet.node import FaucetError

        try:
            payload = json.loads(await request.body() or b"{}")
        except (ValueError, UnicodeDecodeError):
            return JSONResponse({"error": "body must be JSON: {\"address\": \"0x...\"}"}, status_code=400)
        address = payload.get("address") if isinstance(payload, dict) else None
        try:
            result = await run_in_threadpool(node.faucet, address)
        except FaucetError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(result)

    async def health(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(node.health))

    async def info(request: Request) -> Response:
        return JSONResponse(node.info(_base_url(request)))

    routes = [
        Route("/rpc", rpc, methods=["POST"]),
        Route("/faucet", faucet, methods=["POST"]),
        Route("/health", health, methods=["GET"]),
        Route("/devnet/info", info, methods=["GET"]),
    ]
    routes += _hub_routes(node)
    routes += _llm_routes(node)
    from og_tui.devnet.inference_routes import routes as _inference_routes

    routes += _inference_routes(node)
    app = Starlette(routes=routes)
    app.state.node = node
    return app


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto IPPROTO_TCP (not 0): asyncio only sets TCP_NODELAY on accepted sockets whose proto is
    # IPPROTO_TCP; without it every keep-alive response stalls ~40 ms (Nagle + delayed ACK)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _banner(node: "DevnetNode", url: str, data_dir: Path, elapsed: float) -> str:
    lines = [
        f"og-tui devnet (LOCAL network, chain id {node.config.chain_id}) ready in {elapsed:.2f}s",
        f"  url:       {url}",
        f"  rpc:       {url}/rpc",
        f"  x402:      network {node.config.x402_network}, token domain {node.config.payment_token_name!r} "
        f"chain {node.config.x402_domain_chain_id} (devnet-only signatures)",
        f"  data dir:  {data_dir}",
        f"  block:     {node.chain.block_number}",
        f"  OUSDC:     {constants.OUSDC_ADDRESS}",
        "  dev accounts (DEVNET-ONLY keys: public, never use them on a real network):",
    ]
    for i, acct in enumerate(node.dev_accounts):
        lines.append(f"    [{i}] {acct.address}  key {acct.private_key}")
    lines.append("  Ctrl+C stops the devnet; its chain is kept in the data dir.")
    return "\n".join(lines)


def serve(host: str = constants.DEVNET_HOST, port: int = constants.DEVNET_PORT, data_dir: str | Path | None = None,
          x402_network: str | None = None) -> int:
    """Run the devnet until interrupted. Returns a process exit code.

    ``x402_network`` (default: ``$OG_TUI_DEVNET_X402_NETWORK`` or ``og-devnet``) is the
    network name the LLM gateway's payments use; see :mod:`og_tui.devnet.compat_x402`.
    """
    from og_tui.devnet.compat_x402 import ENV_X402_NETWORK, x402_settings

    try:
        x402 = x402_settings(x402_network or os.environ.get(ENV_X402_NETWORK) or constants.DEVNET_X402_NETWORK)
    except ValueError as exc:
        print(f"og-tui devnet: {exc}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        sock = _bind(host, port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            print(
                f"og-tui devnet: port {port} on {host} is already in use "
                f"(another devnet may be running there); stop it or pass --port <other port>.",
                file=sys.stderr,
            )
        else:
            print(f"og-tui devnet: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    actual_port = sock.getsockname()[1]
    data_dir = Path(data_dir).expanduser() if data_dir else default_data_dir()
    try:
        from og_tui.devnet.node import DevnetConfig, DevnetNode

        node = DevnetNode(data_dir, DevnetConfig(**x402))
    except Exception:
        sock.close()
        raise
    import uvicorn

    app = create_app(node)
    from og_tui.devnet.workflow_seed import install as _install_workflows

    workflows = _install_workflows(node)  # price feed 0xF5, scheduler + keeper, seeded workflows
    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{actual_port}"
    print(_banner(node, url, data_dir, time.perf_counter() - started), flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    # uvicorn shuts down gracefully on SIGTERM/SIGINT and then raises the signal again with
    # the handler that was there before it: make that handler end the process through the
    # ``finally`` below (settle queued payments, stop the keeper, close the chain)
    def _stop(signum: int, frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _stop)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        workflows.stop()
        gateway = getattr(node, "_og_llm_gateway", None)
        if gateway is not None:
            gateway.payments.close(flush=True)  # settle the payments still waiting for their batch
        node.close()
        sock.close()
    return 0
