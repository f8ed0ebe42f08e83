"""Firebase-shaped email/password accounts for the devnet hub.

- Passwords: ``hashlib.scrypt`` (n=2**14, r=8, p=1, 16-byte salt), compared in constant time.
- ID tokens: JWT (HS256) signed with a per-data-dir secret (``hub/secret.key``, mode 0600),
  claims ``sub`` (uid), ``email``, ``name`` (username), ``iat``, ``exp``, ``iss``.
- Refresh tokens: 32 random bytes, stored as a sha256 hash; they do not expire.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from og_tui.core.fsperm import open_private, private_dir
from og_tui.devnet.hub.db import HubDB

__all__ = ["AuthService", "AuthFailure", "User", "hash_password", "verify_password"]

_SCRYPT = dict(n=2**14, r=8, p=1, dklen=32)
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 6
RESERVED_USERNAMES = {"samples", "me", "admin", "devnet", "opengradient"}


class AuthFailure(Exception):
    """A Firebase-style error: ``code`` such as EMAIL_EXISTS, ``status`` the HTTP status."""

    def __init__(self, code: str, status: int = 400, detail: str = "") -> None:
        self.code = code
        self.status = status
        self.detail = detail
        super().__init__(f"{code}{' : ' + detail if detail else ''}")


@dataclass
class User:
    id: int
    uid: str
    email: str
    username: str


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, maxmem=64 * 1024 * 1024, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        algo, n, r, p, salt, digest = stored.split("$")
        if algo != "scrypt":
            return False
        got = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r),
                             p=int(p), dklen=len(digest) // 2, maxmem=64 * 1024 * 1024)
    except ValueError:
        return False
    return hmac.compare_digest(got.hex(), digest)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class AuthService:
    def __init__(self, db: HubDB, secret_path: "str | os.PathLike", token_ttl: float = 3600.0) -> None:
        self.db = db
        self.token_ttl = float(token_ttl)
        self._secret = self._load_secret(Path(secret_path))

    @staticmethod
    def _load_secret(path: Path) -> bytes:
        if path.exists():
            return bytes.fromhex(path.read_text().strip())
        private_dir(path.parent)
        key = secrets.token_bytes(32)
        with open_private(path, "w", exclusive=True) as fh:
            fh.write(key.hex())
        return key

    # ---- accounts -----------------------------------------------------------------
    @staticmethod
    def normalize_email(email: object) -> str:
        if not isinstance(email, str) or not email.strip():
            raise AuthFailure("MISSING_EMAIL")
        email = email.strip().lower()
        if not _EMAIL_RE.match(email) or len(email) > 254:
            raise AuthFailure("INVALID_EMAIL")
        return email

    def _unique_username(self, wanted: str) -> str:
        base = unicodedata.normalize("NFKC", wanted)
        base = re.sub(r"[^\w.-]+", "-", base).strip("-._")[:32] or "user"
        name, n = base, 1
        while name.lower() in RESERVED_USERNAMES or self.db.one("SELECT 1 FROM users WHERE lower(username) = lower(?)", (name,)):
            n += 1
            name = f"{base}{n}"
        return name

    def sign_up(self, email: object, password: object, display_name: Optional[str] = None) -> User:
        email = self.normalize_email(email)
        if not isinstance(password, str) or not password:
            raise AuthFailure("MISSING_PASSWORD")
        if len(password) < MIN_PASSWORD:
            raise AuthFailure("WEAK_PASSWORD", detail=f"Password should be at least {MIN_PASSWORD} characters")
        pw_hash = hash_password(password)  # slow: outside the lock
        with self.db.tx() as conn:
            if conn.execute("SELECT 1 FROM users WHERE email = ?", (email,)).fetchone():
                raise AuthFailure("EMAIL_EXISTS")
            username = self._unique_username(display_name or email.split("@", 1)[0])
            uid = secrets.token_hex(14)
            cur = conn.execute(
                "INSERT INTO users (uid, email, username, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                (uid, email, username, pw_hash, time.time()),
            )
            return User(cur.lastrowid, uid, email, username)

    def sign_in(self, email: object, password: object) -> User:
        email = self.normalize_email(email)
        if not isinstance(password, str) or not password:
            raise AuthFailure("MISSING_PASSWORD")
        row = self.db.one("SELECT * FROM users WHERE email = ?", (email,))
        if row is None:
            raise AuthFailure("EMAIL_NOT_FOUND")
        if not verify_password(password, row["password_hash"]):
            raise AuthFailure("INVALID_PASSWORD")
        return User(row["id"], row["uid"], row["email"], row["username"])

    def user_by_id(self, user_id: int) -> Optional[User]:
        row = self.db.one("SELECT * FROM users WHERE id = ?", (user_id,))
        return User(row["id"], row["uid"], row["email"], row["username"]) if row else None

    def user_by_username(self, username: str) -> Optional[User]:
        row = self.db.one("SELECT * FROM users WHERE lower(username) = lower(?)", (username,))
        return User(row["id"], row["uid"], row["email"], row["username"]) if row else None

    # ---- tokens ---------------------------------------------------------------------
    def issue_id_token(self, user: User) -> tuple[str, int]:
        now = time.time()
        ttl = max(1, int(round(self.token_ttl)))
        header = {"alg": "HS256", "typ": "JWT"}
        claims = {"iss": "og-devnet", "aud": "og-devnet-hub", "sub": user.uid, "user_id": user.uid,
                  "email": user.email, "name": user.username, "iat": int(now), "exp": now + ttl}
        signing_input = _b64(json.dumps(header, separators=(",", ":")).encode()) + "." + \
            _b64(json.dumps(claims, separators=(",", ":")).encode())
        sig = hmac.new(self._secret, signing_input.encode("ascii"), hashlib.sha256).digest()
        return signing_input + "." + _b64(sig), ttl

    def issue_refresh_token(self, user: User) -> str:
        token = "AMf-" + secrets.token_urlsafe(32)
        with self.db.tx() as conn:
            conn.execute("INSERT INTO refresh_tokens (token_hash, user_id, created_at) VALUES (?, ?, ?)",
                         (hashlib.sha256(token.encode()).hexdigest(), user.id, time.time()))
        return token

    def refresh(self, refresh_token: object) -> User:
        if not isinstance(refresh_token, str) or not refresh_token:
            raise AuthFailure("MISSING_REFRESH_TOKEN")
        row = self.db.one(
            "SELECT u.* FROM refresh_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?",
            (hashlib.sha256(refresh_token.encode()).hexdigest(),),
        )
        if row is None:
            raise AuthFailure("INVALID_REFRESH_TOKEN")
        return User(row["id"], row["uid"], row["email"], row["username"])

    def verify_id_token(self, token: str) -> User:
        """The user of a valid, unexpired ID token; AuthFailure(TOKEN_EXPIRED/INVALID_ID_TOKEN, 401)."""
        try:
            head, body, sig = token.split(".")
            expected = hmac.new(self._secret, f"{head}.{body}".encode("ascii"), hashlib.sha256).digest()
            if not hmac.compare_digest(expected, _unb64(sig)):
                raise ValueError("bad signature")
            claims = json.loads(_unb64(body))
        except (ValueError, UnicodeError):
            raise AuthFailure("INVALID_ID_TOKEN", 401) from None
        if float(claims.get("exp", 0)) <= time.time():
            raise AuthFailure("TOKEN_EXPIRED", 401)
        row = self.db.one("SELECT * FROM users WHERE uid = ?", (claims.get("sub"),))
        if row is None:
            raise AuthFailure("USER_NOT_FOUND", 401)
        return User(row["id"], row["uid"], row["email"], row["username"])

    def ensure_user(self, email: str, username: str) -> User:
        """A system account (e.g. ``samples``) with an unusable random password."""
        row = self.db.one("SELECT * FROM users WHERE email = ?", (email,))
        if row is not None:
            return User(row["id"], row["uid"], row["email"], row["username"])
        with self.db.tx() as conn:
            cur = conn.execute(
                "INSERT INTO users (uid, email, username, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                (secrets.token_hex(14), email, username, "disabled$", time.time()),
            )
            return self.user_by_id(cur.lastrowid)  # type: ignore[return-value]
