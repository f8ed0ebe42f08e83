"""The devnet HTTP server: one Starlette app on one port (uvicorn).

Routes: ``POST /rpc`` (JSON-RPC), ``POST /faucet``, ``GET /health``, ``GET /devnet/info``,
plus the services' routes (``og_tui.devnet.hub.routes(node)``, the LLM gateway, inference),
which :class:`Services` installs while the chain already answers.
Every request passes :class:`og_tui.devnet.guard.Guard` first (Host, Origin, Content-Type,
body size and JSON depth, catch-all); the limits are the node's :class:`DevnetLimits`.
The devnet listens on loopback only unless started with ``--allow-remote``.
"""

from __future__ import annotations

import errno
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Sequence

import anyio
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from og_tui.core import constants
from og_tui.devnet.guard import Guard, Site, is_loopback, shown_host
from og_tui.devnet.limits import DevnetLimits, loads

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


# py_ecc raises Python's recursion limit to 100,000 for the whole process: far more frames
# than a thread's C stack holds, so deep input (JSON, recursion in a library) would crash the
# process instead of raising RecursionError. py-evm needs 12 frames per EVM call level.
RECURSION_LIMIT = 1024 * 12
THREAD_STACK_SIZE = 64 * 1024 * 1024  # room for RECURSION_LIMIT frames in every worker thread
SWITCH_INTERVAL = 0.001  # seconds (Python's default is 0.005)


# JSON-RPC methods that run contract code or read what the services install (the price feed,
# the scheduler, seeded workflows): while the services start, these wait for them; every
# other method (block number, chain id, balances, blocks, receipts, ...) is answered at once
NEEDS_SERVICES = frozenset(
    {
        "eth_call",
        "eth_estimateGas",
        "eth_sendRawTransaction",
        "eth_sendTransaction",
        "eth_getCode",
        "eth_getStorageAt",
    }
)


def _methods(payload: Any) -> set:
    items = payload if isinstance(payload, list) else [payload]
    return {i.get("method") for i in items if isinstance(i, dict)}


def _uses_evm(payload: Any) -> bool:
    from og_tui.devnet.rpc import UNLOCKED_METHODS

    return not _methods(payload).isdisjoint(UNLOCKED_METHODS)


class Services:
    """Everything beyond the chain: the hub, the LLM gateway, the inference routes and the workflows.

    On an existing chain ``serve`` answers ``/health``, ``/devnet/info``, ``/faucet`` and the
    chain's read methods as soon as the chain is open, and installs these from a thread
    meanwhile (their imports are most of a start-up; they mine no block on a chain that has
    them already). A request for one of their routes, or a JSON-RPC method in
    :data:`NEEDS_SERVICES`, waits until they are in place. A new chain gets them before it
    answers anything, so its first blocks (the seeded workflows) precede every request. If
    they fail, the devnet stops with their traceback, as a failed start always did.
    """

    def __init__(self, node: "DevnetNode", app: Starlette) -> None:
        self.node = node
        self.app = app
        self.ready = threading.Event()
        self.failed: Optional[BaseException] = None
        self.workflows: Any = None
        self._thread: Optional[threading.Thread] = None
        app.router.default = self._route_later

    def start(self) -> None:
        """Install the services: from a thread on an existing chain, at once on a new one."""
        if getattr(self.node.chain, "created", False):
            self._install()
            return
        self._thread = threading.Thread(target=self._install, name="devnet-services", daemon=True)
        self._thread.start()

    def _install(self) -> None:
        try:
            extra = _service_routes(self.node)
            # one assignment: the event loop sees the old list or the whole new one
            self.app.router.routes = list(self.app.router.routes) + extra
            from og_tui.devnet.workflow_seed import install as _install_workflows

            self.workflows = _install_workflows(self.node)  # price feed 0xF5, scheduler + keeper, seeded workflows
        except BaseException as exc:  # reported, and the devnet stops
            self.failed = exc
            import traceback

            if self._thread is None:
                raise
            traceback.print_exc()
            print("og-tui devnet: could not start its services (above); stopping.", file=sys.stderr, flush=True)
            os.kill(os.getpid(), signal.SIGTERM)
        finally:
            self.app.router.default = self.app.router.not_found
            self.ready.set()

    async def wait(self) -> None:
        if not self.ready.is_set():
            await anyio.to_thread.run_sync(self.ready.wait)

    async def _route_later(self, scope: Any, receive: Any, send: Any) -> None:
        """No route matched yet: wait for the services' routes, then route the request again."""
        if self.ready.is_set():
            await self.app.router.not_found(scope, receive, send)
            return
        await self.wait()
        if self.failed is not None:
            await JSONResponse({"error": self.failure()}, status_code=503)(scope, receive, send)
            return
        await self.app.router.app(scope, receive, send)

    def failure(self) -> str:
        return (
            f"the devnet could not start its services ({type(self.failed).__name__}: {self.failed}) "
            "and is stopping; see its log"
        )

    def stop(self, timeout: float = 30.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
        if self.workflows is not None:
            self.workflows.stop()


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


def _service_routes(node: "DevnetNode") -> list:
    from og_tui.devnet.inference_routes import routes as _inference_routes

    return _hub_routes(node) + _llm_routes(node) + list(_inference_routes(node))


def create_app(node: "DevnetNode", site: Optional[Site] = None, services: bool = True) -> Starlette:
    """The devnet's app. ``site`` says where it listens (default: loopback, any port).

    ``services=False`` leaves out the hub, LLM and inference routes: :class:`Services`
    adds them (``serve`` does that, after the chain answers).
    """
    site = site or Site()
    limits: DevnetLimits = getattr(node, "limits", None) or DevnetLimits()
    # eth_call / eth_estimateGas run on their own few threads: a burst of slow calls queues
    # there instead of taking every worker thread from the other routes
    evm_threads = anyio.CapacityLimiter(max(1, limits.evm_concurrency))

    async def rpc(request: Request) -> Response:
        body = await request.body()
        try:
            payload = loads(body, limits.max_json_depth)
        except ValueError as exc:
            error = {"code": -32700, "message": f"parse error: {exc}"}
            return JSONResponse({"jsonrpc": "2.0", "id": None, "error": error})
        services: Optional[Services] = getattr(request.app.state, "services", None)
        if services is not None and not services.ready.is_set() and not _methods(payload).isdisjoint(NEEDS_SERVICES):
            await services.wait()
            if services.failed is not None:
                error = {"code": -32603, "message": services.failure()}
                return JSONResponse({"jsonrpc": "2.0", "id": None, "error": error})
        if _uses_evm(payload):
            raw = await anyio.to_thread.run_sync(node.rpc.respond, payload, limiter=evm_threads)
        else:
            raw = await run_in_threadpool(node.rpc.respond, payload)
        if raw is None:
            return Response(status_code=204)
        return Response(raw, media_type="application/json")

    async def faucet(request: Request) -> Response:
        from og_tui.devnet.node import FaucetError

        try:
            payload = loads(await request.body() or b"{}", limits.max_json_depth)
        except ValueError:
            return JSONResponse({"error": 'body must be JSON: {"address": "0x..."}'}, status_code=400)
        address = payload.get("address") if isinstance(payload, dict) else None
        try:
            result = await run_in_threadpool(node.faucet, address)
        except FaucetError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(result)

    async def health(request: Request) -> Response:
        body = await run_in_threadpool(node.health)
        services: Optional[Services] = getattr(request.app.state, "services", None)
        if services is not None:  # "starting": the hub, LLM and workflow routes are still loading
            body["services"] = "ready" if services.ready.is_set() else "starting"
        return JSONResponse(body)

    async def info(request: Request) -> Response:
        # the Guard has replaced the Host header by the configured one: never the request's own
        return JSONResponse(node.info(site.public_url.rstrip("/") if site.public_url else str(request.base_url)))

    routes = [
        Route("/rpc", rpc, methods=["POST"]),
        Route("/faucet", faucet, methods=["POST"]),
        Route("/health", health, methods=["GET"]),
        Route("/devnet/info", info, methods=["GET"]),
    ]
    if services:
        routes += _service_routes(node)
    app = Starlette(routes=routes, middleware=[Middleware(Guard, limits=limits, site=site)])
    app.state.node = node
    app.state.site = site
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


def _limits_line(node: "DevnetNode") -> str:
    lim: DevnetLimits = node.limits
    cors = ", ".join(lim.cors_origins) if lim.cors_origins else "none"
    return (
        f"bodies {lim.max_body / 1048576:g} MiB, batches {lim.batch_limit}, eth_call {lim.gas_cap:,} gas"
        f" / {lim.evm_timeout:g} s; CORS origins: {cors}"
    )


def _banner(node: "DevnetNode", url: str, data_dir: Path, elapsed: float) -> str:
    lines = [
        f"og-tui devnet (LOCAL network, chain id {node.config.chain_id}) ready in {elapsed:.2f}s",
        f"  url:       {url}",
        f"  rpc:       {url}/rpc",
        f"  x402:      network {node.config.x402_network}, token domain {node.config.payment_token_name!r} "
        f"chain {node.config.x402_domain_chain_id} (devnet-only signatures)",
        f"  data dir:  {data_dir}",
        f"  limits:    {_limits_line(node)}",
        f"  block:     {node.chain.block_number}",
        f"  OUSDC:     {constants.OUSDC_ADDRESS}",
        f"  x402 v2:   eip155:{node.config.chain_id}, OPG {constants.OPG_DEVNET_ADDRESS}, Permit2 {constants.PERMIT2_ADDRESS}",
        "  dev accounts (DEVNET-ONLY keys: public, never use them on a real network):",
    ]
    for i, acct in enumerate(node.dev_accounts):
        lines.append(f"    [{i}] {acct.address}  key {acct.private_key}")
    lines.append("  Ctrl+C stops the devnet; its chain is kept in the data dir.")
    return "\n".join(lines)


def remote_exposure(host: str, port: int, limits: DevnetLimits) -> str:
    """What a devnet listening on a non-loopback address hands to anyone who can reach it."""
    return "\n".join(
        [
            f"og-tui devnet: WARNING: listening on {host}:{port}, reachable from other machines (--allow-remote).",
            "  Anyone who can reach this port can:",
            "    - send transactions from the 10 dev accounts (eth_sendTransaction signs for them; their keys are public)",
            "    - mint native tokens and OUSDC without limit (POST /faucet)",
            "    - read the dev account keys (GET /devnet/info)",
            "    - create hub accounts, upload models (hub), run inferences and paid LLM calls",
            f"    - run eth_call/eth_estimateGas up to {limits.gas_cap:,} gas and {limits.evm_timeout:g} s each",
            "  Requests must still name this devnet in their Host header (--host, --public-url or a loopback name).",
        ]
    )


def serve(
    host: str = constants.DEVNET_HOST,
    port: int = constants.DEVNET_PORT,
    data_dir: str | Path | None = None,
    x402_network: str | None = None,
    *,
    limits: DevnetLimits | None = None,
    allow_remote: bool = False,
    public_url: str | None = None,
    cors: Sequence[str] = (),
) -> int:
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
    limits = limits or DevnetLimits()
    limits.cors_origins = list(cors)
    if not is_loopback(host) and not allow_remote:
        print(
            f"og-tui devnet: refusing to listen on {host}: it is not a loopback address, and the devnet signs "
            "transactions for its public dev accounts and mints from its faucet for anyone who reaches it. "
            "Use --host 127.0.0.1 (the default), or add --allow-remote if you really want it reachable "
            "from other machines.",
            file=sys.stderr,
        )
        return 2
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
    threading.stack_size(THREAD_STACK_SIZE)  # threads started from here on (workers, keeper)
    try:
        from og_tui.devnet.node import DevnetConfig, DevnetNode

        node = DevnetNode(data_dir, DevnetConfig(**x402), limits=limits)
    except Exception:
        sock.close()
        raise
    import py_ecc  # noqa: F401 - imported by the EVM already; its recursion limit is undone below
    import uvicorn

    sys.setrecursionlimit(RECURSION_LIMIT)
    # a long eth_call holds the GIL between switches: switch more often, so the event loop and
    # the other requests get it back quickly while such a call runs
    sys.setswitchinterval(SWITCH_INTERVAL)
    site = Site(host=host, port=actual_port, public_url=public_url, cors_origins=list(cors))
    app = create_app(node, site, services=False)
    services = app.state.services = Services(node, app)
    from og_tui.devnet.tee import tls as tee_tls

    try:  # the TEE endpoint (HTTPS), before the gateway registers it
        tls = tee_tls.prepare(node, app, host, limits, public_url)
    except (ValueError, OSError) as exc:
        print(f"og-tui devnet: cannot start the TEE endpoint: {exc}", file=sys.stderr)
        node.close()
        sock.close()
        return 2
    try:
        services.start()
    except BaseException:
        node.close()
        sock.close()
        tls.sock.close()
        raise
    url = site.url
    if not is_loopback(host):
        print(remote_exposure(shown_host(host), actual_port, limits), flush=True)
    print(_banner(node, url, data_dir, time.perf_counter() - started), flush=True)
    print(f"  TEE:       {tls.url} (TLS, registry {constants.TEE_REGISTRY_ADDRESS})", flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)

    # uvicorn shuts down gracefully on SIGTERM/SIGINT and then raises the signal again with
    # the handler that was there before it: make that handler end the process through the
    # ``finally`` below (settle queued payments, stop the keeper, close the chain)
    def _stop(signum: int, frame: object) -> None:
        raise SystemExit(1 if services.failed is not None else 0)

    signal.signal(signal.SIGTERM, _stop)
    try:
        tee_tls.run(server, sock, tls)
    except KeyboardInterrupt:
        pass
    finally:
        services.stop()
        tee_service = getattr(node, "_og_tee_service", None)
        if tee_service is not None:
            tee_service.close()
        tls.sock.close()
        gateway = getattr(node, "_og_llm_gateway", None)
        if gateway is not None:
            gateway.payments.close(flush=True)  # settle the payments still waiting for their batch
        node.close()
        sock.close()
    return 0
