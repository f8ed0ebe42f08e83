"""Hash with safe-pysha3's C keccak when it is installed (eth-hash picks pycryptodome first).

The devnet hashes every trie node, account and header it touches: the C backend is ~4x
faster per hash (same digests). eth-hash reads ``ETH_HASH_BACKEND`` on its first hash, so
this module is imported before any devnet module that hashes at import time (selectors);
an explicit ``ETH_HASH_BACKEND`` is left alone, and the variable is not left set for child
processes. Imported for its effect only.
"""

from __future__ import annotations

import importlib.util
import os


def prefer_c_keccak() -> None:
    """Make eth-hash pick pysha3 on its first hash, without leaving ``ETH_HASH_BACKEND`` set:
    child processes (another Python, e.g. the reference SDK's environment without pysha3)
    must not inherit the choice."""
    if "ETH_HASH_BACKEND" in os.environ or importlib.util.find_spec("sha3") is None:
        return
    os.environ["ETH_HASH_BACKEND"] = "pysha3"
    try:
        from eth_hash.auto import keccak

        keccak(b"")  # the auto backend reads the variable now, once, and keeps its choice
    finally:
        os.environ.pop("ETH_HASH_BACKEND", None)


prefer_c_keccak()
