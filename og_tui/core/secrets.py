"""Wallet keys and Model Hub credentials, never in plaintext on disk.

Where a key lives:

* the OS keyring, when a real backend exists (not the ``fail``/``null`` backends, not a
  chainer with nothing behind it) and the mode allows it;
* otherwise an Ethereum V3 keystore (scrypt) at ``<data_dir>/keystores/<address>.json``,
  mode 0600, unlocked by a passphrase.

If the keyring raises at any point while storing, the store falls back to the keystore
file instead of failing. When a passphrase is given for a keyring wallet, an encrypted
keystore copy is written too, so the key survives a keyring that later goes away.

``wallets.json`` indexes the wallets (name, address, storage kind, active address) and
holds no secrets. Hub passwords go to the keyring, or to a scrypt + AES-256-GCM
envelope (pycryptodome, already required by eth-keyfile) in ``<data_dir>/credentials``.

Heavy libraries (keyring, eth_account) are imported lazily inside methods.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

from .envelope import decrypt_blob, encrypt_blob, never_log
from .errors import (
    KeyringUnavailable,
    SecretsError,
    ValidationError,
    WalletNotFound,
    WrongPassphrase,
)

_log = logging.getLogger(__name__)

if TYPE_CHECKING:  # pragma: no cover
    from eth_account.signers.local import LocalAccount
    from keyring.backend import KeyringBackend

__all__ = [
    "WalletInfo",
    "HubCredentials",
    "WalletStore",
    "keyring_usable",
    "KEYRING_SERVICE",
    "DEFAULT_SCRYPT_N",
]

KEYRING_SERVICE = "og-tui"
DEFAULT_SCRYPT_N = 262144
INDEX_FILENAME = "wallets.json"
KEYRING = "keyring"
KEYSTORE = "keystore"
MODES = ("auto", "keyring", "file")


@dataclass(frozen=True)
class WalletInfo:
    name: str
    address: str
    storage: str  # "keyring" | "keystore"
    created_at: float = 0.0
    has_keystore: bool = False  # an encrypted keystore file exists (always for "keystore")


@dataclass(frozen=True)
class HubCredentials:
    email: str
    password: str = field(repr=False)

    def __repr__(self) -> str:
        return f"HubCredentials(email={self.email!r}, password='***')"


def keyring_usable(backend: object) -> bool:
    """True when ``backend`` can actually store secrets."""
    try:
        from keyring.backends import chainer, fail

        if isinstance(backend, fail.Keyring):
            return False
        try:
            from keyring.backends import null

            if isinstance(backend, null.Keyring):
                return False
        except ImportError:  # pragma: no cover
            pass
        if isinstance(backend, chainer.ChainerBackend):
            return bool(backend.backends)
        priority = getattr(backend, "priority", 1)
        return not (isinstance(priority, (int, float)) and priority <= 0)
    except Exception:
        return False


def _scrypt_n_from_env() -> Optional[int]:
    raw = os.environ.get("OG_TUI_SCRYPT_N")
    if not raw:
        return None
    try:
        n = int(raw)
    except ValueError:
        return None
    return n if n >= 2 and (n & (n - 1)) == 0 else None


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` atomically to ``path`` with mode 0600 (its folder 0700)."""
    from og_tui.core.fsperm import write_private

    write_private(path, text)


def _safe_component(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)[:80] or "_"


class WalletStore:
    """Wallets (keys) and hub credentials under ``data_dir``.

    ``keyring_mode``: ``"auto"`` (keyring when a real backend exists, else file),
    ``"keyring"`` (require it), ``"file"`` (never use it). ``keyring_backend`` may be a
    keyring backend instance to use instead of the process-wide one (tests), or one of
    the mode strings (the name used in the team notes). ``kdf_n`` is the scrypt work
    factor (default 262144, or ``OG_TUI_SCRYPT_N``); tests use a small one.
    """

    def __init__(
        self,
        data_dir: Union[str, os.PathLike[str]],
        keyring_mode: str = "auto",
        *,
        kdf_n: Optional[int] = None,
        keyring_backend: Union[KeyringBackend, str, None] = None,
    ) -> None:
        if isinstance(keyring_backend, str):
            keyring_mode, keyring_backend = keyring_backend, None
        if keyring_mode not in MODES:
            raise ValueError(f"keyring_mode must be one of {MODES}, not {keyring_mode!r}")
        self.data_dir = Path(data_dir)
        self.keyring_mode = keyring_mode
        self._backend_override = keyring_backend
        self.kdf_n = int(kdf_n) if kdf_n else (_scrypt_n_from_env() or DEFAULT_SCRYPT_N)
        self._lock = threading.RLock()
        self._tighten_files()

    def _tighten_files(self) -> None:
        """Make the index, keystores and saved sign-ins an older version left 0644 private."""
        from og_tui.core.fsperm import tighten, tighten_tree

        tighten(self.index_path)
        for folder in (self.keystore_dir, self.credentials_dir):
            if folder.is_dir():
                tighten_tree(folder)

    def __repr__(self) -> str:
        return f"WalletStore({str(self.data_dir)!r}, keyring_mode={self.keyring_mode!r})"

    # --- paths and index -----------------------------------------------------------

    @property
    def index_path(self) -> Path:
        return self.data_dir / INDEX_FILENAME

    @property
    def keystore_dir(self) -> Path:
        return self.data_dir / "keystores"

    @property
    def credentials_dir(self) -> Path:
        return self.data_dir / "credentials"

    def keystore_path(self, address: str) -> Path:
        return self.keystore_dir / f"{address}.json"

    def _hub_path(self, profile: str) -> Path:
        return self.credentials_dir / f"hub-{_safe_component(profile)}.json"

    def _read_index(self) -> Dict[str, Any]:
        try:
            data = json.loads(self.index_path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
        except FileNotFoundError:
            return {"version": 1, "active": None, "wallets": [], "hub": {}}
        except (OSError, ValueError) as exc:
            raise SecretsError(
                f"The wallet index {self.index_path} cannot be read ({type(exc).__name__}).",
                hint="Restore it from a backup; keystore files in the keystores folder can be re-imported.",
            ) from None
        data.setdefault("version", 1)
        data.setdefault("active", None)
        data.setdefault("wallets", [])
        data.setdefault("hub", {})
        return data

    def _write_index(self, data: Dict[str, Any]) -> None:
        _write_private(self.index_path, json.dumps(data, indent=2, sort_keys=True) + "\n")

    @staticmethod
    def _info(entry: Dict[str, Any]) -> WalletInfo:
        return WalletInfo(
            name=entry["name"],
            address=entry["address"],
            storage=entry["storage"],
            created_at=float(entry.get("created_at", 0.0)),
            has_keystore=bool(entry.get("has_keystore", entry["storage"] == KEYSTORE)),
        )

    def _find(self, data: Dict[str, Any], address: str) -> Dict[str, Any]:
        want = str(address).strip().lower()
        if want and not want.startswith("0x"):
            want = "0x" + want
        wallets: List[Dict[str, Any]] = data["wallets"]
        for entry in wallets:
            if entry["address"].lower() == want:
                return entry
        raise WalletNotFound(f"No wallet with address {address} is stored here.")

    # --- keyring -------------------------------------------------------------------

    def _backend(self) -> KeyringBackend:
        if self._backend_override is not None:
            return self._backend_override
        import keyring

        return keyring.get_keyring()

    def keyring_available(self) -> bool:
        """True when keys would go to the OS keyring (mode allows it, backend is real)."""
        if self.keyring_mode == "file":
            return False
        try:
            return keyring_usable(self._backend())
        except Exception:
            return False

    def _keyring_set(self, username: str, secret: str) -> bool:
        """Store a secret in the keyring; False (never an exception) if that fails."""
        if not self.keyring_available():
            if self.keyring_mode == "keyring":
                raise KeyringUnavailable("No usable OS keyring was found.")
            return False
        try:
            backend = self._backend()
            backend.set_password(KEYRING_SERVICE, username, secret)
            return backend.get_password(KEYRING_SERVICE, username) == secret
        except Exception:
            if self.keyring_mode == "keyring":
                raise KeyringUnavailable("The OS keyring refused to store the secret.") from None
            return False

    def _keyring_get(self, username: str) -> Optional[str]:
        if self.keyring_mode == "file":
            return None
        try:
            return self._backend().get_password(KEYRING_SERVICE, username)
        except Exception:
            return None

    def _keyring_delete(self, username: str) -> None:
        if self.keyring_mode == "file":
            return
        try:
            self._backend().delete_password(KEYRING_SERVICE, username)
        except Exception:
            _log.debug("keyring: deleting the entry failed (it may not exist)", exc_info=True)

    @staticmethod
    def _wallet_user(address: str) -> str:
        return f"wallet:{address}"

    # --- wallets ---------------------------------------------------------------------

    def list_wallets(self) -> List[WalletInfo]:
        with self._lock:
            return [self._info(e) for e in self._read_index()["wallets"]]

    def get(self, address: str) -> WalletInfo:
        with self._lock:
            return self._info(self._find(self._read_index(), address))

    def active(self) -> Optional[WalletInfo]:
        """The active wallet (the first one when none was chosen), or None."""
        with self._lock:
            data = self._read_index()
            if data["active"]:
                try:
                    return self._info(self._find(data, data["active"]))
                except WalletNotFound:
                    pass
            return self._info(data["wallets"][0]) if data["wallets"] else None

    def set_active(self, address: str) -> WalletInfo:
        with self._lock:
            data = self._read_index()
            entry = self._find(data, address)
            data["active"] = entry["address"]
            self._write_index(data)
            return self._info(entry)

    def create(self, name: str, passphrase: Optional[str] = None) -> WalletInfo:
        """Generate a new key and store it."""
        from eth_account import Account

        account = Account.create()
        return self._store_key(name, "0x" + bytes(account.key).hex(), passphrase)

    def import_key(self, name: str, hex_key: str, passphrase: Optional[str] = None) -> WalletInfo:
        """Store an existing private key (hex, with or without 0x)."""
        from .amounts import parse_private_key

        key = parse_private_key(hex_key)
        return self._store_key(name, key, passphrase)

    def import_keystore(self, name: str, json_text: str, passphrase: str) -> WalletInfo:
        """Import a V3 keystore JSON (scrypt or pbkdf2), verifying the passphrase first.

        The key is stored again under this store's own scheme (keyring, or a scrypt
        keystore with the same passphrase), so pbkdf2 files get the stronger KDF.
        """
        try:
            data = json.loads(json_text) if isinstance(json_text, (str, bytes)) else dict(json_text)
        except (TypeError, ValueError):
            raise ValidationError("This is not a keystore file (it is not JSON).", field="keystore") from None
        if not isinstance(data, dict) or "crypto" not in data and "Crypto" not in data:
            raise ValidationError("This JSON is not an Ethereum V3 keystore (no crypto section).", field="keystore")
        if not passphrase:
            raise ValidationError("Enter the keystore's passphrase.", field="passphrase")
        key = self._decrypt_keystore(data, passphrase)
        return self._store_key(name, key, passphrase)

    def export_keystore(self, address: str, passphrase: str) -> str:
        """Return the key as V3 keystore JSON (scrypt) encrypted with ``passphrase``.

        For a keystore wallet the passphrase must be its current one (checked).
        """
        if not passphrase:
            raise ValidationError("Enter a passphrase to encrypt the export with.", field="passphrase")
        never_log(passphrase)
        key = self._load_key(address, passphrase)
        from eth_account import Account
        from eth_typing import HexStr

        return json.dumps(Account.encrypt(HexStr(key), passphrase, kdf="scrypt", iterations=self.kdf_n))

    def delete(self, address: str) -> None:
        """Forget a wallet: remove its key from the keyring and disk, and from the index."""
        with self._lock:
            data = self._read_index()
            entry = self._find(data, address)
            addr = entry["address"]
            self._keyring_delete(self._wallet_user(addr))
            try:
                self.keystore_path(addr).unlink()
            except FileNotFoundError:
                pass
            data["wallets"] = [w for w in data["wallets"] if w["address"] != addr]
            if data["active"] and data["active"].lower() == addr.lower():
                data["active"] = data["wallets"][0]["address"] if data["wallets"] else None
            self._write_index(data)

    def rename(self, address: str, name: str) -> WalletInfo:
        with self._lock:
            data = self._read_index()
            entry = self._find(data, address)
            entry["name"] = self._check_name(data, name, exclude=entry["address"])
            self._write_index(data)
            return self._info(entry)

    def needs_passphrase(self, address: str) -> bool:
        """True when :meth:`unlock` needs a passphrase for this wallet right now."""
        info = self.get(address)
        if info.storage == KEYRING and self._keyring_get(self._wallet_user(info.address)):
            return False
        return True

    def unlock(self, address: str, passphrase: Optional[str] = None) -> "LocalAccount":
        """Return a signer for the wallet. Raises :class:`WrongPassphrase` on a wrong
        passphrase (nothing is changed; just retry)."""
        key = self._load_key(address, passphrase)
        from eth_account import Account

        account: LocalAccount = Account.from_key(key)
        return account

    # --- internals -------------------------------------------------------------------

    @staticmethod
    def _check_name(data: Dict[str, Any], name: str, exclude: Optional[str] = None) -> str:
        if not isinstance(name, str) or not name.strip():
            raise ValidationError("Give the wallet a name.", field="name")
        name = name.strip()
        if len(name) > 64:
            raise ValidationError("A wallet name can be at most 64 characters.", field="name")
        for w in data["wallets"]:
            if w["name"] == name and w["address"] != exclude:
                raise ValidationError(f"A wallet named {name!r} already exists.", field="name")
        return name

    def _store_key(self, name: str, key_hex: str, passphrase: Optional[str]) -> WalletInfo:
        from eth_account import Account
        from eth_typing import HexStr

        account = Account.from_key(key_hex)
        address = account.address
        with self._lock:
            data = self._read_index()
            for w in data["wallets"]:
                if w["address"].lower() == address.lower():
                    raise ValidationError(
                        f"This key is already stored as wallet {w['name']!r} ({address}).",
                        field="private_key",
                    )
            name = self._check_name(data, name)

            storage = KEYSTORE
            if self._keyring_set(self._wallet_user(address), key_hex):
                storage = KEYRING
            elif not passphrase:
                raise ValidationError(
                    "Choose a passphrase: without an OS keyring the key is kept in an encrypted file.",
                    field="passphrase",
                )
            has_keystore = False
            if passphrase:
                never_log(passphrase)
                keystore = Account.encrypt(HexStr(key_hex), passphrase, kdf="scrypt", iterations=self.kdf_n)
                _write_private(self.keystore_path(address), json.dumps(keystore))
                has_keystore = True
            entry = {
                "name": name,
                "address": address,
                "storage": storage,
                "created_at": time.time(),
                "has_keystore": has_keystore,
            }
            data["wallets"].append(entry)
            if not data["active"]:
                data["active"] = address
            self._write_index(data)
            return self._info(entry)

    def _decrypt_keystore(self, keystore: Dict[str, Any], passphrase: str) -> str:
        from eth_account import Account

        never_log(passphrase)
        try:
            key = Account.decrypt(keystore, passphrase)
        except ValueError as exc:
            if "MAC mismatch" in str(exc):
                raise WrongPassphrase() from None
            raise SecretsError("The keystore file is damaged or in an unsupported format.") from None
        except (KeyError, TypeError):
            raise SecretsError("The keystore file is damaged or in an unsupported format.") from None
        except Exception:
            raise SecretsError("The keystore file could not be decrypted.") from None
        return "0x" + bytes(key).hex()

    def _load_key(self, address: str, passphrase: Optional[str]) -> str:
        info = self.get(address)
        if info.storage == KEYRING:
            secret = self._keyring_get(self._wallet_user(info.address))
            if secret:
                return secret
            if not self.keystore_path(info.address).exists():
                raise KeyringUnavailable(
                    f"The key of wallet {info.name!r} is in the OS keyring, which cannot be read now.",
                    hint="Unlock the keyring (or log in to the desktop session) and retry.",
                )
        path = self.keystore_path(info.address)
        try:
            keystore = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise WalletNotFound(
                f"The keystore file of wallet {info.name!r} is missing ({path}).",
                hint="Import the key or a keystore backup again.",
            ) from None
        except ValueError:
            raise SecretsError(f"The keystore file {path} is damaged (not JSON).") from None
        if not passphrase:
            raise WrongPassphrase(
                f"Wallet {info.name!r} is locked; enter its passphrase.",
                hint="The passphrase is the one chosen when the wallet was created or imported.",
            )
        return self._decrypt_keystore(keystore, passphrase)

    # --- hub credentials -------------------------------------------------------------

    @staticmethod
    def _hub_user(profile: str) -> str:
        return f"hub:{profile}"

    def set_hub_credentials(self, profile: str, email: str, password: str, passphrase: Optional[str] = None) -> str:
        """Remember the Model Hub sign-in for ``profile``; returns the storage kind.

        Without a usable keyring the password is encrypted with ``passphrase``.
        """
        if not email or not password:
            raise ValidationError("Enter both the email and the password.", field="email")
        with self._lock:
            storage = KEYSTORE
            path = self._hub_path(profile)
            if self._keyring_set(self._hub_user(profile), password):
                storage = KEYRING
                try:
                    path.unlink()
                except FileNotFoundError:
                    pass
            else:
                if not passphrase:
                    raise ValidationError(
                        "Enter a passphrase to encrypt the hub password with (no OS keyring here).",
                        field="passphrase",
                    )
                envelope = encrypt_blob(password.encode("utf-8"), passphrase, self.kdf_n)
                _write_private(path, json.dumps(envelope))
            data = self._read_index()
            data["hub"][profile] = {"email": email, "storage": storage}
            self._write_index(data)
            return storage

    def hub_email(self, profile: str) -> Optional[str]:
        with self._lock:
            entry = self._read_index()["hub"].get(profile)
            return entry["email"] if entry else None

    def hub_needs_passphrase(self, profile: str) -> bool:
        with self._lock:
            entry = self._read_index()["hub"].get(profile)
        if not entry:
            return False
        if entry["storage"] == KEYRING and self._keyring_get(self._hub_user(profile)):
            return False
        return True

    def get_hub_credentials(self, profile: str, passphrase: Optional[str] = None) -> Optional[HubCredentials]:
        """The stored sign-in for ``profile``, or None when there is none."""
        with self._lock:
            entry = self._read_index()["hub"].get(profile)
        if not entry:
            return None
        if entry["storage"] == KEYRING:
            secret = self._keyring_get(self._hub_user(profile))
            if secret is None:
                raise KeyringUnavailable(
                    "The hub password is in the OS keyring, which cannot be read now.",
                    hint="Unlock the keyring, or sign in again.",
                )
            return HubCredentials(entry["email"], secret)
        path = self._hub_path(profile)
        try:
            envelope = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except ValueError:
            raise SecretsError(f"The credentials file {path} is damaged.") from None
        if not passphrase:
            raise WrongPassphrase("The hub password is encrypted; enter the passphrase.")
        return HubCredentials(entry["email"], decrypt_blob(envelope, passphrase).decode("utf-8"))

    def delete_hub_credentials(self, profile: str) -> None:
        with self._lock:
            self._keyring_delete(self._hub_user(profile))
            try:
                self._hub_path(profile).unlink()
            except FileNotFoundError:
                pass
            data = self._read_index()
            if data["hub"].pop(profile, None) is not None:
                self._write_index(data)
