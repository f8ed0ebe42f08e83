"""The log: a private rotating file in the data dir; keys, passphrases and passwords never reach it."""

from __future__ import annotations

import logging
import stat

import pytest

from og_tui.core.errors import ConfigError
from og_tui.core.log import LOG_FILENAME, register_secret, setup_logging

KEY = "0x" + "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"


@pytest.fixture
def logfile(tmp_path):
    path = setup_logging(tmp_path / "data", "DEBUG")
    yield path
    logger = logging.getLogger("og_tui")
    for handler in list(logger.handlers):
        if getattr(handler, "baseFilename", None) == str(path.resolve()):
            logger.removeHandler(handler)
            handler.close()


def test_secrets_never_reach_the_log(logfile):
    register_secret("correct horse battery staple")
    log = logging.getLogger("og_tui.test")
    log.info("unlocking with %s for key %s", "correct horse battery staple", KEY)
    try:
        raise ValueError(f"bad key {KEY[2:]} with passphrase correct horse battery staple")
    except ValueError:
        log.exception("failed")
    text = logfile.read_text()
    assert logfile.name == LOG_FILENAME and "unlocking with [redacted] for key [redacted]" in text
    assert "Traceback" in text and "ValueError: bad key [redacted] with passphrase [redacted]" in text
    assert KEY[2:] not in text and "correct horse" not in text
    assert stat.S_IMODE(logfile.stat().st_mode) == 0o600


def test_levels(logfile, tmp_path):
    assert setup_logging(tmp_path / "data", "warning") == logfile  # the same file, a new level
    logging.getLogger("og_tui.test").info("quiet now")
    logging.getLogger("og_tui.test").warning("still heard")
    text = logfile.read_text()
    assert "still heard" in text and "quiet now" not in text
    with pytest.raises(ConfigError):
        setup_logging(tmp_path / "data", "LOUD")
