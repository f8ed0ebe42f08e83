"""og-tui's log: a rotating file in the data dir that no secret can reach.

:func:`setup_logging` sends the ``og_tui`` loggers to ``<data dir>/og-tui.log`` (mode
0600, 1 MiB, 3 old files kept). Every record passes :class:`RedactingFilter`: anything
that looks like a 32-byte hex secret (a private key) is replaced, as in error messages,
and so is any value given to :func:`register_secret` (passphrases and passwords the
process was handed). Tracebacks are formatted and redacted the same way.

Core modules log through ``logging.getLogger(__name__)`` and never configure logging
themselves: a library user's own configuration is left alone.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import threading
from pathlib import Path
from typing import Optional, Union

from og_tui.core.errors import REDACTED, redact

__all__ = ["LOG_FILENAME", "LOG_LEVEL_ENV", "RedactingFilter", "log_path", "register_secret", "setup_logging"]

LOG_FILENAME = "og-tui.log"
LOG_LEVEL_ENV = "OG_TUI_LOG_LEVEL"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_MAX_BYTES = 1 << 20
_BACKUPS = 3

_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def register_secret(value: Optional[str]) -> None:
    """Never let ``value`` (a passphrase or password this process holds) reach the log."""
    if value and len(value) >= 4:
        with _secrets_lock:
            _secrets.add(value)


def _scrub(text: str) -> str:
    text = redact(text)
    with _secrets_lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        text = text.replace(secret, REDACTED)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and traceback) with secrets replaced."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string still gets logged, as text
            message = str(record.msg)
        record.msg = _scrub(message)
        record.args = None
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = _scrub(text)
            record.exc_info = None
        if record.stack_info:
            record.stack_info = _scrub(record.stack_info)
        return True


def log_path(data_dir: Union[str, os.PathLike[str]]) -> Path:
    return Path(data_dir) / LOG_FILENAME


def _level(level: Optional[str]) -> int:
    name = (level or os.environ.get(LOG_LEVEL_ENV) or "INFO").strip().upper()
    if name not in LEVELS:
        from og_tui.core.errors import ConfigError

        raise ConfigError(f"The log level must be one of {', '.join(LEVELS)}, not {level!r}.")
    return int(getattr(logging, name))


class _PrivateRotatingHandler(logging.handlers.RotatingFileHandler):
    """A RotatingFileHandler whose files are created 0600 (they may name addresses)."""

    def _open(self):  # type: ignore[no-untyped-def]
        from og_tui.core.fsperm import open_private

        return open_private(self.baseFilename, self.mode, encoding=self.encoding)


def setup_logging(data_dir: Union[str, os.PathLike[str]], level: Optional[str] = None) -> Path:
    """Log ``og_tui.*`` at ``level`` (default ``OG_TUI_LOG_LEVEL`` or INFO) to the data dir's
    og-tui.log; calling it again only changes the level. Returns the log's path."""
    path = log_path(data_dir)
    logger = logging.getLogger("og_tui")
    logger.setLevel(_level(level))
    for handler in logger.handlers:
        if isinstance(handler, _PrivateRotatingHandler) and Path(handler.baseFilename) == path.resolve():
            return path
    from og_tui.core.fsperm import private_dir

    private_dir(path.parent, tighten_existing=False)
    handler = _PrivateRotatingHandler(path, maxBytes=_MAX_BYTES, backupCount=_BACKUPS, encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    logger.addHandler(handler)
    logger.propagate = False
    return path
