"""A standalone Starlette app serving only the hub (tests, benchmarks, debugging).

python -m og_tui.devnet.hub.app --data-dir /tmp/hub --port 8746
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from og_tui.devnet.hub.routes import make_routes
from og_tui.devnet.hub.service import HubService


def create_app(data_dir: "str | os.PathLike", **kwargs: Any) -> Starlette:
    service = HubService(data_dir, **kwargs)

    async def health(request):
        return JSONResponse({"status": "ok", "component": "hub"})

    app = Starlette(routes=[Route("/health", health)] + make_routes(service))
    app.state.hub = service
    return app


def main(argv: "list[str] | None" = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="og-tui devnet hub only")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8746)
    parser.add_argument("--token-ttl", type=float, default=None)
    parser.add_argument("--max-upload", type=int, default=None)
    args = parser.parse_args(argv)
    app = create_app(args.data_dir, token_ttl=args.token_ttl, max_upload=args.max_upload)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
