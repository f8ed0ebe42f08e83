"""WalletStore: keystore fallback, keyring path, failing keyrings, no plaintext on disk."""

from __future__ import annotations

import json
import os
import stat

import keyring
import keyring.errors
import pytest
from eth_account import Account
from keyring.backend import KeyringBackend
from keyring.backends import fail

from og_tui.core.errors import (
    KeyringUnavailable,
    SecretsError,
    ValidationError,
    WalletNotFound,
    WrongPassphrase,
)
from og_tui.core.secrets import WalletStore, keyring_usable

N = 2**10  # small scrypt work factor for tests
KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
KEY_ADDR = Account.from_key(KEY).address


class MemoryKeyring(KeyringBackend):
    """A real, in-memory keyring backend (test double for the OS keyring)."""

    priority = 1

    def __init__(self):
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.items.get((service, username))

    def set_password(self, service, username, password):
        self.items[(service, username)] = password

    def delete_password(self, service, username):
        try:
            del self.items[(service, username)]
        except KeyError:
            raise keyring.errors.PasswordDeleteError(username) from None


class BrokenKeyring(KeyringBackend):
    """Looks real but raises on every call (locked or crashing Secret Service)."""

    priority = 1

    def get_password(self, service, username):
        raise keyring.errors.KeyringLocked("locked")

    def set_password(self, service, username, password):
        raise keyring.errors.PasswordSetError("nope")

    def delete_password(self, service, username):
        raise RuntimeError("dbus exploded")


@pytest.fixture
def use_keyring():
    previous = keyring.get_keyring()

    def install(backend):
        keyring.set_keyring(backend)
        return backend

    yield install
    keyring.set_keyring(previous)


def all_bytes(root) -> bytes:
    out = b""
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            with open(os.path.join(dirpath, f), "rb") as fh:
                out += fh.read()
    return out


def assert_no_plaintext(root, *secrets):
    blob = all_bytes(root).lower()
    for s in secrets:
        s = s.lower()
        assert s.encode() not in blob
        if s.startswith("0x"):
            assert s[2:].encode() not in blob


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_backend_detection():
    assert not keyring_usable(fail.Keyring())
    assert keyring_usable(MemoryKeyring())
    from keyring.backends import chainer

    assert isinstance(keyring_usable(chainer.ChainerBackend()), bool)


def test_keystore_fallback_end_to_end(tmp_path, use_keyring):
    use_keyring(fail.Keyring())
    ws = WalletStore(tmp_path, kdf_n=N)
    assert not ws.keyring_available()
    assert ws.list_wallets() == [] and ws.active() is None

    w = ws.create("main", "correct horse")
    assert w.storage == "keystore" and ws.needs_passphrase(w.address)
    assert ws.active().address == w.address
    path = ws.keystore_path(w.address)
    assert mode(path) == 0o600 and mode(ws.index_path) == 0o600
    ks = json.loads(path.read_text())
    assert ks["crypto"]["kdf"] == "scrypt" and ks["crypto"]["kdfparams"]["n"] == N

    with pytest.raises(WrongPassphrase):
        ws.unlock(w.address, "wrong")
    with pytest.raises(WrongPassphrase):
        ws.unlock(w.address)
    before = all_bytes(tmp_path)
    acct = ws.unlock(w.address, "correct horse")  # retry works, nothing was changed
    assert acct.address == w.address and all_bytes(tmp_path) == before
    key_hex = "0x" + bytes(acct.key).hex()
    assert key_hex not in repr(acct)

    imported = ws.import_key("imported", KEY[2:].upper(), "pw2")
    assert imported.address == KEY_ADDR
    assert "0x" + bytes(ws.unlock(KEY_ADDR, "pw2").key).hex() == KEY
    assert [x.name for x in ws.list_wallets()] == ["main", "imported"]
    assert ws.active().address == w.address
    ws.set_active(KEY_ADDR.lower())
    assert ws.active().address == KEY_ADDR

    exported = ws.export_keystore(w.address, "correct horse")
    with pytest.raises(WrongPassphrase):
        ws.export_keystore(w.address, "bad")

    assert_no_plaintext(tmp_path, key_hex, KEY)

    ws.delete(KEY_ADDR)
    assert not ws.keystore_path(KEY_ADDR).exists()
    assert ws.active().address == w.address
    with pytest.raises(WalletNotFound):
        ws.unlock(KEY_ADDR, "pw2")

    ws.delete(w.address)
    assert ws.list_wallets() == [] and ws.active() is None
    again = ws.import_keystore("back", exported, "correct horse")
    assert again.address == w.address
    assert ws.unlock(w.address, "correct horse").address == w.address


@pytest.mark.parametrize("bad", ["", "0x1234", KEY + "00", KEY[:-1] + "x", "0x" + "0" * 64, "ff" * 32, "not a key"])
def test_import_malformed_keys(tmp_path, bad):
    ws = WalletStore(tmp_path, keyring_mode="file", kdf_n=N)
    with pytest.raises(ValidationError) as exc:
        ws.import_key("x", bad, "pw")
    text = str(exc.value) + repr(exc.value) + str(exc.value.hint)
    body = bad.removeprefix("0x")
    if len(body) > 10:
        assert body[:10] not in text
    assert ws.list_wallets() == [] and not ws.keystore_dir.exists()


def test_validation_of_names_and_duplicates(tmp_path):
    ws = WalletStore(tmp_path, keyring_mode="file", kdf_n=N)
    ws.import_key("a", KEY, "pw")
    with pytest.raises(ValidationError, match="already stored"):
        ws.import_key("b", KEY, "pw")
    with pytest.raises(ValidationError, match="already exists"):
        ws.create("a", "pw")
    with pytest.raises(ValidationError, match="name"):
        ws.create("  ", "pw")
    with pytest.raises(ValidationError, match="passphrase"):
        ws.create("c", "")
    assert len(ws.list_wallets()) == 1


def test_import_keystore_pbkdf2_and_errors(tmp_path):
    ws = WalletStore(tmp_path, keyring_mode="file", kdf_n=N)
    pbkdf2 = json.dumps(Account.encrypt(KEY, "old", kdf="pbkdf2", iterations=2))
    with pytest.raises(WrongPassphrase):
        ws.import_keystore("k", pbkdf2, "nope")
    assert ws.list_wallets() == []
    with pytest.raises(ValidationError):
        ws.import_keystore("k", "{not json", "old")
    with pytest.raises(ValidationError):
        ws.import_keystore("k", json.dumps({"hello": 1}), "old")
    info = ws.import_keystore("k", pbkdf2, "old")
    assert info.address == KEY_ADDR
    stored = json.loads(ws.keystore_path(KEY_ADDR).read_text())
    assert stored["crypto"]["kdf"] == "scrypt"  # re-encrypted with scrypt
    assert "0x" + bytes(ws.unlock(KEY_ADDR, "old").key).hex() == KEY


def test_keyring_path(tmp_path, use_keyring):
    mem = use_keyring(MemoryKeyring())
    ws = WalletStore(tmp_path, kdf_n=N)
    assert ws.keyring_available()
    w = ws.import_key("kr", KEY, None)
    assert w.storage == "keyring" and not w.has_keystore
    assert not ws.needs_passphrase(KEY_ADDR)
    assert ws.unlock(KEY_ADDR).address == KEY_ADDR
    assert any(v == KEY for v in mem.items.values())
    assert not ws.keystore_path(KEY_ADDR).exists()
    assert_no_plaintext(tmp_path, KEY)

    created = ws.create("with-backup", "pw")
    assert created.storage == "keyring" and created.has_keystore
    exported = ws.export_keystore(created.address, "exp")
    assert Account.from_key(Account.decrypt(exported, "exp")).address == created.address

    # the keyring goes away: the backup keystore still unlocks with the passphrase
    use_keyring(fail.Keyring())
    assert ws.needs_passphrase(created.address)
    assert ws.unlock(created.address, "pw").address == created.address
    with pytest.raises(KeyringUnavailable):
        ws.unlock(KEY_ADDR)

    use_keyring(mem)
    ws.delete(KEY_ADDR)
    assert not any(v == KEY for v in mem.items.values())


def test_broken_keyring_falls_back_to_file(tmp_path, use_keyring):
    use_keyring(BrokenKeyring())
    ws = WalletStore(tmp_path, kdf_n=N)
    w = ws.import_key("b", KEY, "pw")
    assert w.storage == "keystore"
    assert ws.unlock(KEY_ADDR, "pw").address == KEY_ADDR
    assert ws.needs_passphrase(KEY_ADDR)
    ws.delete(KEY_ADDR)  # delete_password raising is tolerated
    assert ws.list_wallets() == []
    with pytest.raises(ValidationError):
        ws.import_key("nopass", KEY, None)  # no keyring and no passphrase


def test_keyring_mode_required(tmp_path, use_keyring):
    use_keyring(fail.Keyring())
    ws = WalletStore(tmp_path, keyring_mode="keyring", kdf_n=N)
    with pytest.raises(KeyringUnavailable):
        ws.import_key("x", KEY, "pw")
    use_keyring(MemoryKeyring())
    file_only = WalletStore(tmp_path / "f", keyring_mode="file", kdf_n=N)
    assert file_only.import_key("x", KEY, "pw").storage == "keystore"
    # explicit backend instance instead of the process-wide one
    mem = MemoryKeyring()
    ws2 = WalletStore(tmp_path / "g", keyring_backend=mem, kdf_n=N)
    assert ws2.import_key("x", KEY, None).storage == "keyring" and mem.items


def test_hub_credentials_file(tmp_path, use_keyring):
    use_keyring(fail.Keyring())
    ws = WalletStore(tmp_path, kdf_n=N)
    assert ws.get_hub_credentials("local") is None
    with pytest.raises(ValidationError):
        ws.set_hub_credentials("local", "me@x.io", "hunter2-secret")
    assert ws.set_hub_credentials("local", "me@x.io", "hunter2-secret", passphrase="pp") == "keystore"
    assert ws.hub_email("local") == "me@x.io" and ws.hub_needs_passphrase("local")
    with pytest.raises(WrongPassphrase):
        ws.get_hub_credentials("local", "bad")
    creds = ws.get_hub_credentials("local", "pp")
    assert (creds.email, creds.password) == ("me@x.io", "hunter2-secret")
    assert "hunter2" not in repr(creds)
    assert mode(ws._hub_path("local")) == 0o600
    assert_no_plaintext(tmp_path, "hunter2-secret")
    ws.delete_hub_credentials("local")
    assert ws.get_hub_credentials("local") is None and not ws._hub_path("local").exists()


def test_hub_credentials_keyring(tmp_path, use_keyring):
    mem = use_keyring(MemoryKeyring())
    ws = WalletStore(tmp_path, kdf_n=N)
    assert ws.set_hub_credentials("opengradient", "a@b.c", "pw-xyz") == "keyring"
    assert not ws.hub_needs_passphrase("opengradient")
    assert ws.get_hub_credentials("opengradient").password == "pw-xyz"
    assert_no_plaintext(tmp_path, "pw-xyz")
    ws.delete_hub_credentials("opengradient")
    assert not mem.items


@pytest.mark.parametrize("text", ["[]", '"wallets"', "null", "42"])
def test_wallet_index_that_is_not_an_object(tmp_path, text):
    ws = WalletStore(tmp_path, keyring_mode="file", kdf_n=N)
    ws.index_path.write_text(text, encoding="utf-8")
    with pytest.raises(SecretsError) as info:
        ws.list_wallets()
    assert str(ws.index_path) in str(info.value) and info.value.hint


def test_scrypt_n_env(tmp_path, monkeypatch):
    monkeypatch.setenv("OG_TUI_SCRYPT_N", "2048")
    assert WalletStore(tmp_path).kdf_n == 2048
    monkeypatch.setenv("OG_TUI_SCRYPT_N", "1000")  # not a power of two: ignored
    assert WalletStore(tmp_path).kdf_n == 262144
    monkeypatch.delenv("OG_TUI_SCRYPT_N")
    assert WalletStore(tmp_path).kdf_n == 262144
