"""``python -m og_tui.devnet``: the devnet as a child of the app or the CLI.

:func:`og_tui.core.devnet_proc.ensure_devnet` starts this module with ``--parent PID``.
A watchdog thread stops the devnet once that parent is gone (the child is re-parented),
even after a SIGKILL of the app, which no ``atexit`` hook survives. Without
``--parent`` it simply runs the devnet in the foreground, like ``og-tui devnet``.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time

from og_tui.core import constants


def _watch_parent(parent: int, interval: float = 0.5) -> None:
    """Stop this process once ``parent`` is gone (we get re-parented)."""
    while True:
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5.0)
            os._exit(0)
        time.sleep(interval)


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m og_tui.devnet", description="Run the local devnet.")
    parser.add_argument("--parent", type=int, default=None, help="Stop when the process with this pid is gone.")
    parser.add_argument("--host", default=constants.DEVNET_HOST, help="Interface to listen on.")
    parser.add_argument("--port", type=int, default=constants.DEVNET_PORT, help="TCP port (0 = any free port).")
    parser.add_argument("--data-dir", default=None, help="Where the chain is kept.")
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"--port {args.port} is not a TCP port (0-65535)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    if args.parent is not None:
        threading.Thread(target=_watch_parent, args=(args.parent,), name="parent-watchdog", daemon=True).start()
    from og_tui.devnet.server import serve

    os.umask(0o077)  # as `og-tui devnet`: whatever else this process writes is private too
    return serve(args.host, args.port, args.data_dir)


if __name__ == "__main__":
    raise SystemExit(main())
