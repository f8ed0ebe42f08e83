"""Private files and directories: mode 0600 files in mode 0700 directories.

Everything og-tui and its devnet write that holds keys, password hashes, history or
chain state goes through these helpers, so the modes hold whatever the process umask:

- :func:`private_dir` creates a directory (and any missing parents) with mode 0700 and
  tightens an existing one;
- :func:`open_private` / :func:`write_private` create a file with mode 0600 (the latter
  atomically: temp file in the same directory, fsync, rename);
- :func:`connect_private` opens a SQLite database whose file is 0600 before SQLite sees
  it, so the ``-wal``, ``-shm`` and ``-journal`` files SQLite makes beside it get the same
  mode (SQLite copies the database file's permissions onto them);
- :func:`tighten` / :func:`tighten_tree` remove group and other permissions from what an
  older version left at 0644/0755 (never adding any).

POSIX only in effect: on Windows ``chmod`` can only toggle read-only, and the calls are
harmless there.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import tempfile
from pathlib import Path
from typing import IO, Any, Iterator, Union

__all__ = [
    "PRIVATE_DIR_MODE",
    "PRIVATE_FILE_MODE",
    "private_dir",
    "open_private",
    "write_private",
    "connect_private",
    "sqlite_sidecars",
    "tighten",
    "tighten_tree",
    "tighten_app_files",
]

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
_SQLITE_SUFFIXES = ("-wal", "-shm", "-journal")
_APP_FILE_SUFFIXES = (".sqlite3", ".db", ".json", ".toml", ".key", ".log") + _SQLITE_SUFFIXES

PathLike = Union[str, "os.PathLike[str]"]
log = logging.getLogger("og_tui.fsperm")


def tighten(path: PathLike) -> bool:
    """Remove group/other permission bits from ``path`` (a file or directory).

    Returns True when the mode changed. Symlinks, missing paths and files owned by
    someone else are left alone (False).
    """
    try:
        st = os.lstat(path)
    except OSError:
        return False
    if stat.S_ISLNK(st.st_mode) or not (st.st_mode & 0o077):
        return False
    try:
        os.chmod(path, stat.S_IMODE(st.st_mode) & 0o700)
    except OSError as exc:
        log.warning("cannot make %s private: %s", path, exc.strerror or exc)
        return False
    return True


def tighten_tree(root: PathLike) -> int:
    """:func:`tighten` ``root`` and everything below it (symlinks are not followed).

    Returns how many paths changed mode.
    """
    changed = int(tighten(root))
    for entry in _walk(Path(root)):
        changed += tighten(entry)
    return changed


def _is_app_file(name: str) -> bool:
    if name.endswith(_APP_FILE_SUFFIXES):
        return True
    stem, _, rotation = name.rpartition(".")
    return stem.endswith(".log") and rotation.isdigit()  # devnet.log.1


def tighten_app_files(root: PathLike) -> int:
    """:func:`tighten` the files directly in ``root`` that og-tui may have written there
    (databases and their journals, JSON, TOML, keys, logs); other files are left alone.

    Returns how many changed mode.
    """
    changed = 0
    try:
        entries = list(os.scandir(root))
    except OSError:
        return 0
    for entry in entries:
        try:
            if entry.is_file(follow_symlinks=False) and _is_app_file(entry.name):
                changed += tighten(entry.path)
        except OSError:
            continue
    return changed


def _walk(root: Path) -> Iterator[Path]:
    try:
        entries = list(os.scandir(root))
    except OSError:
        return
    for entry in entries:
        yield Path(entry.path)
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            continue
        if is_dir:
            yield from _walk(Path(entry.path))


def private_dir(path: PathLike, *, tighten_existing: bool = True) -> Path:
    """Make ``path`` a directory with mode 0700 and return it.

    Missing parents are created with mode 0700 too. An existing ``path`` is tightened to
    0700 unless ``tighten_existing`` is false (use that for a directory the user chose,
    such as the folder of an export); existing parents are never changed.
    """
    target = Path(path)
    missing = []
    current = target
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, PRIVATE_DIR_MODE)
        except FileExistsError:
            if not directory.is_dir():
                raise
            continue
        os.chmod(directory, PRIVATE_DIR_MODE)  # mkdir's mode is reduced by the umask
    if not target.is_dir():
        raise NotADirectoryError(f"{target} exists and is not a directory")
    if tighten_existing and not missing:
        tighten(target)
    return target


def _open_fd(path: PathLike, flags: int) -> int:
    fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0), PRIVATE_FILE_MODE)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, PRIVATE_FILE_MODE)
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_private(path: PathLike, mode: str = "w", *, exclusive: bool = False, **kwargs: Any) -> IO[Any]:
    """``open(path, mode)`` for writing, with the file at mode 0600 from its creation on.

    ``mode`` is ``"w"``, ``"a"`` or ``"r+"`` (with ``"b"`` for bytes); ``exclusive``
    refuses to replace an existing file (FileExistsError). An existing file's mode is set
    to 0600 too. The parent directory must exist. Extra keyword arguments go to
    :func:`os.fdopen` (``encoding``, ``buffering``, ...).
    """
    kind = mode.replace("b", "").replace("t", "")
    if kind == "w":
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    elif kind == "a":
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
    elif kind == "r+":
        flags = os.O_RDWR | os.O_CREAT
    else:
        raise ValueError(f"open_private cannot open a file with mode {mode!r}")
    if exclusive:
        flags |= os.O_EXCL
    fd = _open_fd(path, flags)
    try:
        return os.fdopen(fd, mode, **kwargs)
    except BaseException:
        os.close(fd)
        raise


def write_private(
    path: PathLike, data: Union[str, bytes], *, encoding: str = "utf-8", private_parent: bool = True
) -> Path:
    """Write ``data`` to ``path`` atomically with mode 0600 and return the path.

    The parent directory is created (mode 0700) when missing, and tightened to 0700 when
    ``private_parent`` is true. Readers see the old or the new content, never a mix.
    """
    target = Path(path)
    private_dir(target.parent, tighten_existing=private_parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=str(target.parent))
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, PRIVATE_FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode(encoding) if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return target


def sqlite_sidecars(path: PathLike) -> "list[Path]":
    """The journal files SQLite may keep beside the database at ``path``."""
    base = os.fspath(path)
    return [Path(base + suffix) for suffix in _SQLITE_SUFFIXES]


def _is_memory(path: str) -> bool:
    return path == ":memory:" or path == "" or path.startswith("file:")


def connect_private(path: PathLike, *, private_parent: bool = True, **kwargs: Any) -> sqlite3.Connection:
    """``sqlite3.connect(path, **kwargs)`` with the database and its journals at mode 0600.

    The database file is created (empty, 0600) before SQLite opens it, or set to 0600 when
    it exists; SQLite then creates ``-wal``/``-shm``/``-journal`` with the database file's
    mode. Journals an older version left behind are tightened. The parent directory is
    created (0700) when missing and tightened when ``private_parent`` is true.
    ``":memory:"`` and ``file:`` URIs are passed through unchanged.
    """
    name = os.fspath(path)
    if not _is_memory(name):
        private_dir(Path(name).parent, tighten_existing=private_parent)
        if os.path.lexists(name):
            # never open the file here: closing any descriptor of a file drops every POSIX
            # lock this process holds on it, SQLite's included (another connection of this
            # process would then read a stale snapshot and may checkpoint under a writer)
            os.chmod(name, PRIVATE_FILE_MODE)
        else:
            try:
                os.close(_open_fd(name, os.O_RDWR | os.O_CREAT | os.O_EXCL))
            except FileExistsError:  # created meanwhile by another connection
                os.chmod(name, PRIVATE_FILE_MODE)
        for sidecar in sqlite_sidecars(name):
            tighten(sidecar)
    conn: sqlite3.Connection = sqlite3.connect(name, **kwargs)
    return conn
