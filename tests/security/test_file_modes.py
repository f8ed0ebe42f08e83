"""Files that hold keys, password hashes, history or chain state are 0600 in 0700 dirs.

- the devnet's data dir, written by a real devnet process that the client starts (so the
  client's ``devnet.log`` is in it too), then the same dir after an older version's
  0644/0755 modes: the restart makes it private again, leaving foreign files alone;
- a devnet node built in this process under umask 000: the explicit modes hold by
  themselves (the ``og-tui devnet`` command's umask 077 is only a second line);
- the client's config and data dirs after real use of the history, chat store, wallet
  store, saved hub sign-in, workflow list, config.toml and a CLI keystore export, also
  starting from an older version's readable files;
- :mod:`og_tui.core.fsperm` itself (SQLite journals, never loosening, symlinks).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import stat
from pathlib import Path
from typing import Iterator

import httpx
import pytest
from click.testing import CliRunner

from og_tui.core import fsperm
from og_tui.core.devnet_proc import ensure_devnet

TEST_KEY = "0x" + "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
PASSPHRASE = "file-mode-passphrase"


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def tree(root: Path) -> Iterator[Path]:
    yield root
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            yield Path(dirpath) / name


def loose_paths(root: Path, skip: tuple = ()) -> list:
    """Everything under ``root`` that is not a 0600 file or a 0700 directory."""
    bad = []
    for path in tree(root):
        if path.name in skip or path.is_symlink():
            continue
        want = 0o700 if path.is_dir() else 0o600
        if mode(path) != want:
            bad.append(f"{path.relative_to(root.parent)}: {oct(mode(path))}")
    return bad


@contextlib.contextmanager
def umask(value: int) -> Iterator[None]:
    old = os.umask(value)
    try:
        yield
    finally:
        os.umask(old)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the devnet --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def devnet_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("modes") / "devnet-data"


def _start(data_dir: Path, port: int):
    with umask(0o022):  # the client's usual umask: the log and the dir must not depend on it
        return ensure_devnet("127.0.0.1", port, data_dir=data_dir, timeout=60)


def _use_devnet(url: str) -> None:
    """Write to the chain and the hub: a faucet drip, a hub account and a sign-in."""
    from og_tui.core.hub import HubClient

    acct = "0x" + "ab" * 20
    r = httpx.post(f"{url}/faucet", json={"address": acct}, timeout=30)
    assert r.status_code == 200, r.text
    with HubClient(f"{url}/api/v0", f"{url}/auth") as hub:
        hub.sign_up("modes@example.com", "modes-password")
        assert hub.list_models(mine=True)["total"] == 0


def test_devnet_data_dir_is_private_and_older_modes_are_tightened(devnet_dir):
    port = free_port()
    handle = _start(devnet_dir, port)
    try:
        _use_devnet(handle.url)
        names = {str(p.relative_to(devnet_dir)) for p in tree(devnet_dir) if p != devnet_dir}
        for expected in (
            "chain.sqlite3",
            "chain.sqlite3-wal",
            "devnet.log",
            "hub/hub.sqlite3",
            "hub/secret.key",
            "hub/blobs",
            "inference/attestation.key",
            "inference/results.sqlite3",
        ):
            assert expected in names, sorted(names)
        assert any(n.startswith("hub/blobs/") and len(n) > 20 for n in names)  # the sample models
        assert loose_paths(devnet_dir) == []
    finally:
        handle.stop()

    # an older og-tui left everything readable; a file of the user's own sits beside it
    for path in tree(devnet_dir):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    (devnet_dir / "notes.txt").write_text("mine")
    os.chmod(devnet_dir / "notes.txt", 0o644)
    assert mode(devnet_dir / "chain.sqlite3") == 0o644

    handle = _start(devnet_dir, port)
    try:
        r = httpx.post(
            f"{handle.url}/auth/v1/accounts:signInWithPassword",
            json={"email": "modes@example.com", "password": "modes-password", "returnSecureToken": True},
        )
        assert r.status_code == 200  # the same accounts, now private
        assert loose_paths(devnet_dir, skip=("notes.txt",)) == []
        assert mode(devnet_dir / "notes.txt") == 0o644  # not the devnet's: left alone
    finally:
        handle.stop()


def test_devnet_modes_hold_without_a_umask(tmp_path):
    """Built in-process under umask 000: nothing relies on the devnet command's umask."""
    from og_tui.devnet.hub import get_service
    from og_tui.devnet.node import DevnetNode

    data = tmp_path / "in-process" / "devnet"
    with umask(0o000):
        node = DevnetNode(data)
        try:
            hub = get_service(node)
            hub.auth.sign_up("zero@example.com", "zero-password")
            hub.blobs.put_bytes(b"not a model")
            hub.close()
        finally:
            node.close()
    assert (data / "hub" / "hub.sqlite3").is_file() and (data / "chain.sqlite3").is_file()
    assert loose_paths(tmp_path / "in-process") == []


# --- the client ----------------------------------------------------------------------------


@pytest.fixture
def client_env(tmp_path, monkeypatch) -> dict:
    env = {
        "OG_TUI_CONFIG_DIR": str(tmp_path / "config"),
        "OG_TUI_DATA_DIR": str(tmp_path / "data"),
        "OG_TUI_KEYRING": "file",
        "OG_TUI_SCRYPT_N": "1024",
        "OG_TUI_PASSPHRASE": PASSPHRASE,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def _older_version_files(config: Path, data: Path) -> sqlite3.Connection:
    """What an older og-tui left: 0755 dirs, 0644 files, an open 0644 WAL database."""
    for d in (config, data, data / "keystores"):
        d.mkdir(parents=True)
        os.chmod(d, 0o755)
    (config / "config.toml").write_text('profile = "local"\n')
    (data / "workflows.json").write_text("{}")
    (data / "readme.txt").write_text("a file of the user's own")
    os.chmod(data / "readme.txt", 0o644)
    (data / "keystores" / "0xold.json").write_text("{}")
    for f in (config / "config.toml", data / "workflows.json", data / "keystores" / "0xold.json"):
        os.chmod(f, 0o644)
    with umask(0o022):
        legacy = sqlite3.connect(data / "og-tui.db", isolation_level=None)
        legacy.execute("PRAGMA journal_mode=WAL")
        legacy.execute("CREATE TABLE legacy_note (x)")
        legacy.execute("INSERT INTO legacy_note VALUES (1)")
    assert mode(data / "og-tui.db-wal") == 0o644
    return legacy  # kept open: its -wal/-shm stay on disk


def _use_client(settings) -> None:
    from og_tui.core.alpha import WorkflowBook
    from og_tui.core.chat_store import ChatStore
    from og_tui.core.secrets import WalletStore
    from og_tui.core.store import Store

    settings.ensure_dirs()
    store = Store(settings.db_path)
    store.add_tx("0x" + "11" * 32, "transfer-native", profile="local")
    chats = ChatStore(settings.db_path)
    conv = chats.create_conversation("modes")
    chats.add_message(conv.id, "user", "hello")
    wallets = WalletStore(settings.data_dir, keyring_mode="file", kdf_n=1024)
    wallets.import_key("main", TEST_KEY, PASSPHRASE)
    wallets.set_hub_credentials(settings.profile_name, "me@example.com", "hub-password", PASSPHRASE)
    WorkflowBook(settings.data_dir).add(settings.profile_name, "0x" + "22" * 20, model="QmX")
    settings.save_profile_choice("local")
    store.close()
    chats.close()


def test_client_dirs_are_private_and_older_modes_are_tightened(tmp_path, client_env):
    from og_tui.cli import main
    from og_tui.core.config import load_settings

    config, data = Path(client_env["OG_TUI_CONFIG_DIR"]), Path(client_env["OG_TUI_DATA_DIR"])
    legacy = _older_version_files(config, data)
    try:
        with umask(0o022):
            settings = load_settings(profile="local")
            _use_client(settings)
            out = tmp_path / "exports" / "new-folder" / "main.json"
            result = CliRunner().invoke(
                main,
                ["--profile", "local", "account", "export", "main", "--out", str(out), "--json"],
                catch_exceptions=False,
            )
        assert result.exit_code == 0, result.output
    finally:
        legacy.close()
    names = {str(p.relative_to(data)) for p in tree(data) if p != data}
    assert {"og-tui.db", "wallets.json", "workflows.json", "keystores", "credentials"} <= names, sorted(names)
    assert any(n.startswith("keystores/0x") and n != "keystores/0xold.json" for n in names)
    assert loose_paths(config) == [] and loose_paths(data, skip=("readme.txt",)) == []
    assert mode(data / "readme.txt") == 0o644  # not og-tui's: left alone
    # the export: 0600; the folders it had to create 0700; the user's own tmp folder untouched
    assert json.loads(out.read_text())["crypto"] and mode(out) == 0o600
    assert mode(out.parent) == 0o700 and mode(out.parent.parent) == 0o700
    assert mode(tmp_path) == stat.S_IMODE(tmp_path.stat().st_mode)


def test_history_journals_are_private_while_open(tmp_path):
    from og_tui.core.store import Store

    with umask(0o022):
        store = Store(tmp_path / "h" / "og-tui.db")
        store.add_tx("0x" + "33" * 32, "transfer-native")
        journals = [p for p in fsperm.sqlite_sidecars(tmp_path / "h" / "og-tui.db") if p.exists()]
        assert journals  # WAL mode: -wal and -shm exist while the store is open
        assert [mode(p) for p in journals] == [0o600] * len(journals)
        store.close()
    assert mode(tmp_path / "h") == 0o700 and mode(tmp_path / "h" / "og-tui.db") == 0o600


# --- fsperm ----------------------------------------------------------------------------------


def test_fsperm_creates_private_paths_whatever_the_umask(tmp_path):
    with umask(0o000):
        d = fsperm.private_dir(tmp_path / "a" / "b")
        fsperm.write_private(d / "w.json", "{}")
        with fsperm.open_private(d / "o.log", "ab") as fh:
            fh.write(b"x")
        with pytest.raises(FileExistsError):
            fsperm.open_private(d / "o.log", "w", exclusive=True)
        conn = fsperm.connect_private(d / "c.sqlite3", isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (x)")
        conn.execute("INSERT INTO t VALUES (1)")
        assert (d / "c.sqlite3-wal").exists()
        assert loose_paths(tmp_path / "a") == []
        conn.close()
    assert (d / "w.json").read_text() == "{}" and not list(d.glob(".w.json.*"))  # no temp file left


def test_fsperm_tightens_but_never_loosens(tmp_path):
    readonly = tmp_path / "ro"
    readonly.write_text("x")
    os.chmod(readonly, 0o444)
    loose = tmp_path / "loose"
    loose.write_text("x")
    os.chmod(loose, 0o664)
    assert fsperm.tighten(readonly) is True and mode(readonly) == 0o400
    assert fsperm.tighten(loose) is True and mode(loose) == 0o600
    assert fsperm.tighten(loose) is False  # already private
    assert fsperm.tighten(tmp_path / "missing") is False
    os.chmod(readonly, 0o600)


def test_fsperm_tree_leaves_symlink_targets_and_chosen_dirs_alone(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("not ours")
    os.chmod(outside, 0o644)
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "f").write_text("x")
    os.chmod(root / "sub" / "f", 0o644)
    (root / "link").symlink_to(outside)
    assert fsperm.tighten_tree(root) >= 2
    assert mode(root / "sub" / "f") == 0o600 and mode(outside) == 0o644
    chosen = tmp_path / "chosen"
    chosen.mkdir()
    os.chmod(chosen, 0o755)
    fsperm.write_private(chosen / "export.json", "{}", private_parent=False)
    assert mode(chosen) == 0o755 and mode(chosen / "export.json") == 0o600
    with pytest.raises(NotADirectoryError):
        fsperm.private_dir(outside)
