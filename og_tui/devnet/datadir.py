"""The devnet data dir is private to its user: mode 0700, its files 0600.

It holds the chain (``chain.sqlite3``, with the faucet key from which the payee,
facilitator and keeper keys derive), the hub (``hub/``: password hashes, refresh-token
hashes, the ID-token secret, blobs), the inference node's attestation key and results
(``inference/``), the TEE's signing key and TLS certificate (``tee/``) and, when the
app starts the devnet, its log (which lists the dev keys).

:func:`prepare_data_dir` runs before anything is opened: it creates the directory (0700)
or tightens one an older version made 0755, and makes the devnet's own files and
folders in it private. Only the kinds of file the devnet writes (databases and their
journals, JSON, keys, logs) and its ``hub/``, ``inference/`` and ``tee/`` folders are touched, so
other files in a ``--data-dir`` folder keep their modes. New files are
created private by the code that writes them (:mod:`og_tui.core.fsperm`), and the
``og-tui devnet`` command also runs with umask 077.
"""

from __future__ import annotations

import os
from pathlib import Path

from og_tui.core.fsperm import private_dir, tighten_app_files, tighten_tree

__all__ = ["prepare_data_dir", "OWN_SUBDIRS"]

OWN_SUBDIRS = ("hub", "inference", "tee")


def prepare_data_dir(path: "str | os.PathLike[str]") -> Path:
    """Create or tighten the devnet data dir and the devnet's files in it; return its path."""
    root = private_dir(path)
    tighten_app_files(root)  # chain.sqlite3 and its journals, devnet.log, ...
    for name in OWN_SUBDIRS:
        if (root / name).is_dir() and not (root / name).is_symlink():
            tighten_tree(root / name)
    return root
