"""Start the TUI from the command line."""

from __future__ import annotations

import sys


def run_app(profile: str | None = None, log_level: str | None = None) -> int:
    from og_tui.core.config import load_settings
    from og_tui.core.errors import OGError

    try:
        settings = load_settings(profile=profile)
        from og_tui.core.log import setup_logging

        setup_logging(settings.data_dir, log_level)
    except OGError as exc:
        print(f"og-tui: {exc}", file=sys.stderr)
        hint = getattr(exc, "hint", None)
        if hint:
            print(hint, file=sys.stderr)
        return 2
    import logging

    logging.getLogger("og_tui.tui").info("og-tui started (profile %s)", settings.profile_name)
    from og_tui.tui.app import make_app

    app = make_app(settings)
    try:
        app.run()
    finally:
        app.ctx.close()
    return app.return_code or 0
