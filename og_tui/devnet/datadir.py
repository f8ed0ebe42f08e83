"""The devnet data dir is private to its user: mode 0700, its files 0600.

It holds the chain (``chain.sqlite3``, with the faucet key from which the payee,
facilitator and keeper keys derive), the hub (``hub/``: password hashes, refresh-token
hashes, the ID-token secret, blobs), the inference node's attestation key and results
(``inference/``) and, when the app starts the devnet, its log (which lists the dev keys).

:func:`prepare_data_dir` runs before anything is opened: it creates the directory (0700)
or tightens one an older version made 0755, and makes the devnet's own files and
folders in it private. Only what the devnet writes is touched (by name), so pointing
``--data-dir`` at a folder that holds other files leaves those alone. New files are
created private by the code that writes them (:mod:`og_tui.core.fsperm`), and the
``og-tui devnet`` command also runs with umask 077.
"""

from __future__ import annotations

import os
from pathlib import Path

from og_tui.core.fsperm import private_dir, tighten, tighten_tree

__all__ = ["prepare_data_dir", "OWN_SUBDIRS"]

OWN_SUBDIRS = ("hub", "inference")
_OWN_SUFFIXES = (".sqlite3", ".db", ".json", ".key", ".log", "-wal", "-shm", "-journal")


def _is_own_file(name: str) -> bool:
    if name.endswith(_OWN_SUFFIXES):
        return True
    stem, _, rotation = name.rpartition(".")
    return stem.endswith(".log") and rotation.isdigit()  # devnet.log.1


def prepare_data_dir(path: "str | os.PathLike[str]") -> Path:
    """Create or tighten the devnet data dir and the devnet's files in it; return its path."""
    root = private_dir(path)
    with os.scandir(root) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name in OWN_SUBDIRS:
                    tighten_tree(entry.path)
            elif entry.is_file(follow_symlinks=False) and _is_own_file(entry.name):
                tighten(entry.path)
    return root
