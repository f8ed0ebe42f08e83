import logging

__version__ = "0.1.0"

# A library logs, it does not configure logging: og-tui's records go nowhere until the app,
# the CLI or the user's program adds a handler (og_tui.core.log.setup_logging does).
logging.getLogger("og_tui").addHandler(logging.NullHandler())
