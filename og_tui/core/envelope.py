"""A scrypt + AES-256-GCM envelope for small secrets (the Model Hub password when there is no
OS keyring): ``encrypt_blob(plaintext, passphrase, n)`` gives a JSON-able dict,
``decrypt_blob(envelope, passphrase)`` the plaintext back, or WrongPassphrase / SecretsError
(a damaged envelope). pycryptodome (already required by eth-keyfile) does the work; the
passphrase is registered with the log filter before it is used.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from .errors import SecretsError, WrongPassphrase

__all__ = ["encrypt_blob", "decrypt_blob", "never_log"]


def never_log(secret: Optional[str]) -> None:
    from og_tui.core.log import register_secret

    register_secret(secret)


def _scrypt(passphrase: str, salt: bytes, dklen: int, n: int, r: int, p: int) -> bytes:
    from Crypto.Protocol.KDF import scrypt

    never_log(passphrase)
    # pycryptodome's stub says str for password and salt; the function takes bytes (and
    # returns one key, not a tuple of keys, with the default num_keys=1)
    key = scrypt(passphrase.encode("utf-8"), salt, dklen, N=n, r=r, p=p)  # type: ignore[arg-type]
    assert isinstance(key, bytes)
    return key


def encrypt_blob(plaintext: bytes, passphrase: str, n: int) -> Dict[str, Any]:
    from Crypto.Cipher import AES
    from Crypto.Random import get_random_bytes

    salt = get_random_bytes(16)
    r, p = 8, 1
    key = _scrypt(passphrase, salt, 32, n=n, r=r, p=p)
    cipher = AES.new(key, AES.MODE_GCM)
    ciphertext, tag = cipher.encrypt_and_digest(plaintext)
    return {
        "version": 1,
        "kdf": "scrypt",
        "kdfparams": {"n": n, "r": r, "p": p, "salt": salt.hex(), "dklen": 32},
        "cipher": "aes-256-gcm",
        "nonce": cipher.nonce.hex(),
        "ciphertext": ciphertext.hex(),
        "tag": tag.hex(),
    }


def decrypt_blob(envelope: Dict[str, Any], passphrase: str) -> bytes:
    from Crypto.Cipher import AES

    try:
        params = envelope["kdfparams"]
        if envelope.get("kdf") != "scrypt" or envelope.get("cipher") != "aes-256-gcm":
            raise KeyError("scheme")
        key = _scrypt(
            passphrase,
            bytes.fromhex(params["salt"]),
            int(params.get("dklen", 32)),
            n=int(params["n"]),
            r=int(params["r"]),
            p=int(params["p"]),
        )
        cipher = AES.new(key, AES.MODE_GCM, nonce=bytes.fromhex(envelope["nonce"]))
        ciphertext = bytes.fromhex(envelope["ciphertext"])
        tag = bytes.fromhex(envelope["tag"])
    except (KeyError, TypeError, ValueError):
        raise SecretsError("The encrypted credentials file is damaged.") from None
    try:
        return cipher.decrypt_and_verify(ciphertext, tag)
    except ValueError:
        raise WrongPassphrase() from None
