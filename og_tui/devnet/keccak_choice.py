"""Hash with safe-pysha3's C keccak when it is installed (eth-hash picks pycryptodome first).

The devnet hashes every trie node, account and header it touches: the C backend is ~4x
faster per hash (same digests). eth-hash reads ``ETH_HASH_BACKEND`` on its first hash, so
this module is imported before any devnet module that hashes at import time (selectors);
an explicit ``ETH_HASH_BACKEND`` is left alone. Imported for its effect only.
"""

from __future__ import annotations

import importlib.util
import os


def prefer_c_keccak() -> None:
    if "ETH_HASH_BACKEND" not in os.environ and importlib.util.find_spec("sha3") is not None:
        os.environ["ETH_HASH_BACKEND"] = "pysha3"


prefer_c_keccak()
