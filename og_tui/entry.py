"""The `og-tui` console entry point.

The bare command (optionally with `--profile NAME`) starts the app straight away;
anything else goes to the click command group in :mod:`og_tui.cli`. Skipping click
for the common case keeps the first frame quick.
"""

from __future__ import annotations

import sys


def _bare_profile(args: list[str]) -> tuple[bool, str | None]:
    """(True, profile) when ``args`` only choose a profile; (False, None) otherwise."""
    if not args:
        return True, None
    if len(args) == 2 and args[0] == "--profile" and not args[1].startswith("-"):
        return True, args[1]
    if len(args) == 1 and args[0].startswith("--profile=") and len(args[0]) > len("--profile="):
        return True, args[0].split("=", 1)[1]
    return False, None


def run(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    bare, profile = _bare_profile(args)
    if bare:
        from og_tui.tui.run import run_app

        raise SystemExit(run_app(profile=profile))
    from og_tui.cli import main

    main.main(args=args, prog_name="og-tui")
