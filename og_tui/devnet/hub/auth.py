"""Firebase-shaped email/password accounts for the devnet hub.

- Passwords: ``hashlib.scrypt`` (n=2**14, r=8, p=1, 16-byte salt), compared in constant time.
- Sign-in answers ``INVALID_LOGIN_CREDENTIALS`` for an unknown email and for a wrong
  password alike (as Firebase does with email-enumeration protection), taking the same
  time (an unknown email is checked against a dummy hash).
- Back-off per account: from the ``after``-th failure in a row (default 5) the account is
  locked for ``base`` seconds (30), doubling with each further failure up to ``cap`` (1 h);
  while locked every attempt gets ``TOO_MANY_ATTEMPTS_TRY_LATER`` (HTTP 400, as Firebase)
  without the password being checked. Unknown emails are counted the same way, so the
  lock-out tells nothing about which accounts exist. A successful sign-in clears the
  count; a day without failures forgets it. Attempts are counted before the password is
  checked, so parallel guesses cannot slip past the limit.
- ID tokens: JWT (HS256) signed with a per-data-dir secret (``hub/secret.key``, mode 0600),
  claims ``sub`` (uid), ``email``, ``name`` (username), ``iat``, ``exp``, ``iss``, ``sid``
  (the sign-in session they belong to: signing out or a revoked session ends them too).
- Refresh tokens: ``AMf-`` + 32 random bytes, stored only as a sha256 hash, one per
  sign-in session. They expire ``refresh_ttl`` after the sign-in (default 30 days), are
  revoked by ``POST /auth/v1/accounts:signOut``, and an account keeps at most
  ``max_sessions`` live ones (default 20; signing in again revokes the oldest).
- Time comes from the ``now`` callable given to :class:`AuthService` (tests pass a fake clock).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import os
import re
import secrets
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Tuple

from og_tui.core.fsperm import open_private, private_dir
from og_tui.devnet.hub.db import HubDB

__all__ = [
    "AuthService",
    "AuthFailure",
    "LockoutPolicy",
    "User",
    "hash_password",
    "verify_password",
    "DEFAULT_REFRESH_TTL",
    "DEFAULT_MAX_SESSIONS",
]

_SCRYPT = dict(n=2**14, r=8, p=1, dklen=32)
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 6
RESERVED_USERNAMES = {"samples", "me", "admin", "devnet", "opengradient"}
DEFAULT_REFRESH_TTL = 30 * 86400.0  # a sign-in lasts 30 days
DEFAULT_MAX_SESSIONS = 20  # live refresh tokens per account
MAX_TOKEN_CHARS = 8192  # longer bearer tokens are not ours
_REFRESH_RE = re.compile(r"AMf-[A-Za-z0-9_-]{43}")


class AuthFailure(Exception):
    """A Firebase-style error: ``code`` such as EMAIL_EXISTS, ``status`` the HTTP status."""

    def __init__(self, code: str, status: int = 400, detail: str = "", retry_after: Optional[int] = None) -> None:
        self.code = code
        self.status = status
        self.detail = detail
        self.retry_after = retry_after
        super().__init__(f"{code}{' : ' + detail if detail else ''}")


@dataclass
class User:
    id: int
    uid: str
    email: str
    username: str


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # JSON may carry lone surrogates


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(_utf8(password), salt=salt, maxmem=64 * 1024 * 1024, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        algo, n, r, p, salt, digest = stored.split("$")
        if algo != "scrypt":
            return False
        got = hashlib.scrypt(
            _utf8(password),
            salt=bytes.fromhex(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(digest) // 2,
            maxmem=64 * 1024 * 1024,
        )
    except ValueError:
        return False
    return hmac.compare_digest(got.hex(), digest)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _user(row) -> User:
    return User(row["id"], row["uid"], row["email"], row["username"])


@dataclass(frozen=True)
class LockoutPolicy:
    """Back-off after failed sign-ins: ``after`` failures lock for ``base`` s, doubling to ``cap``."""

    after: int = 5
    base: float = 30.0
    cap: float = 3600.0
    window: float = 86400.0  # failures older than this (with no lock running) are forgotten

    def lock_seconds(self, failures: int) -> float:
        if failures < self.after:
            return 0.0
        return min(self.cap, self.base * 2.0 ** min(failures - self.after, 64))


class AuthService:
    def __init__(
        self,
        db: HubDB,
        secret_path: "str | os.PathLike",
        token_ttl: float = 3600.0,
        *,
        refresh_ttl: float = DEFAULT_REFRESH_TTL,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
        lockout: Optional[LockoutPolicy] = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.token_ttl = float(token_ttl)
        self.refresh_ttl = float(refresh_ttl)
        self.max_sessions = max(1, int(max_sessions))
        self.lockout = lockout or LockoutPolicy()
        self.now = now
        self._secret = self._load_secret(Path(secret_path))
        self._dummy: Optional[str] = None

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
        if not _EMAIL_RE.match(email) or len(email) > 254 or not email.isprintable():
            raise AuthFailure("INVALID_EMAIL")
        try:
            email.encode("utf-8")
        except UnicodeEncodeError:
            raise AuthFailure("INVALID_EMAIL") from None
        return email

    def _unique_username(self, wanted: str) -> str:
        base = unicodedata.normalize("NFKC", wanted)
        base = re.sub(r"[^\w.-]+", "-", base).strip("-._")[:32] or "user"
        name, n = base, 1
        while name.lower() in RESERVED_USERNAMES or self.db.one(
            "SELECT 1 FROM users WHERE lower(username) = lower(?)", (name,)
        ):
            n += 1
            name = f"{base}{n}"
        return name

    def sign_up(self, email: object, password: object, display_name: object = None) -> User:
        email = self.normalize_email(email)
        if not isinstance(password, str) or not password:
            raise AuthFailure("MISSING_PASSWORD")
        if len(password) < MIN_PASSWORD:
            raise AuthFailure("WEAK_PASSWORD", detail=f"Password should be at least {MIN_PASSWORD} characters")
        if not isinstance(display_name, str):
            display_name = None
        pw_hash = hash_password(password)  # slow: outside the lock
        with self.db.tx() as conn:
            if conn.execute("SELECT 1 FROM users WHERE email = ?", (email,)).fetchone():
                raise AuthFailure("EMAIL_EXISTS")
            username = self._unique_username(display_name or email.split("@", 1)[0])
            uid = secrets.token_hex(14)
            cur = conn.execute(
                "INSERT INTO users (uid, email, username, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                (uid, email, username, pw_hash, self.now()),
            )
            return User(cur.lastrowid, uid, email, username)

    def sign_in(self, email: object, password: object) -> User:
        """The account for ``email``/``password``; AuthFailure INVALID_LOGIN_CREDENTIALS or
        TOO_MANY_ATTEMPTS_TRY_LATER (both HTTP 400, as Firebase)."""
        email = self.normalize_email(email)
        if not isinstance(password, str) or not password:
            raise AuthFailure("MISSING_PASSWORD")
        row = self._count_attempt(email)
        stored = row["password_hash"] if row is not None else self._dummy_hash()
        if not verify_password(password, stored) or row is None:
            raise AuthFailure("INVALID_LOGIN_CREDENTIALS")
        with self.db.tx() as conn:
            conn.execute("DELETE FROM sign_in_failures WHERE email = ?", (email,))
        return _user(row)

    def _dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = hash_password(secrets.token_hex(16))
        return self._dummy

    def _count_attempt(self, email: str):
        """Count one attempt as a failure before the password is checked (a success clears
        it); refuse while the account is locked. Returns the user row or None."""
        now = self.now()
        policy = self.lockout
        with self.db.tx() as conn:
            conn.execute(
                "DELETE FROM sign_in_failures WHERE last_failure < ? AND locked_until <= ?", (now - policy.window, now)
            )
            row = conn.execute(
                "SELECT failures, locked_until FROM sign_in_failures WHERE email = ?", (email,)
            ).fetchone()
            if row is not None and row["locked_until"] > now:
                wait = max(1, math.ceil(row["locked_until"] - now))
                raise AuthFailure(
                    "TOO_MANY_ATTEMPTS_TRY_LATER", detail=f"try again in {_duration(wait)}", retry_after=wait
                )
            failures = (row["failures"] if row is not None else 0) + 1
            lock = policy.lock_seconds(failures)
            conn.execute(
                "INSERT INTO sign_in_failures (email, failures, locked_until, last_failure) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(email) DO UPDATE SET failures = excluded.failures, "
                "locked_until = excluded.locked_until, last_failure = excluded.last_failure",
                (email, failures, now + lock if lock else 0.0, now),
            )
            return conn.execute("SELECT * FROM users WHERE email = ?", (email,)).fetchone()

    def user_by_id(self, user_id: int) -> Optional[User]:
        row = self.db.one("SELECT * FROM users WHERE id = ?", (user_id,))
        return _user(row) if row else None

    def user_by_username(self, username: str) -> Optional[User]:
        row = self.db.one("SELECT * FROM users WHERE lower(username) = lower(?)", (username,))
        return _user(row) if row else None

    # ---- tokens ---------------------------------------------------------------------
    def issue_id_token(self, user: User, sid: Optional[str] = None) -> Tuple[str, int]:
        now = self.now()
        ttl = max(1, int(round(self.token_ttl)))
        header = {"alg": "HS256", "typ": "JWT"}
        claims = {
            "iss": "og-devnet",
            "aud": "og-devnet-hub",
            "sub": user.uid,
            "user_id": user.uid,
            "email": user.email,
            "name": user.username,
            "iat": int(now),
            "exp": now + ttl,
        }
        if sid is not None:
            claims["sid"] = sid
        signing_input = (
            _b64(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + _b64(json.dumps(claims, separators=(",", ":")).encode())
        )
        sig = hmac.new(self._secret, signing_input.encode("ascii"), hashlib.sha256).digest()
        return signing_input + "." + _b64(sig), ttl

    def start_session(self, user: User) -> Tuple[str, int, str]:
        """A new sign-in session: (ID token, its lifetime in s, refresh token).

        Expired sessions are dropped, and the account's oldest ones past ``max_sessions``."""
        token = "AMf-" + secrets.token_urlsafe(32)
        sid = secrets.token_hex(16)
        now = self.now()
        with self.db.tx() as conn:
            conn.execute("DELETE FROM refresh_tokens WHERE created_at <= ?", (now - self.refresh_ttl,))
            conn.execute(
                "INSERT INTO refresh_tokens (token_hash, user_id, created_at, sid) VALUES (?, ?, ?, ?)",
                (_token_hash(token), user.id, now, sid),
            )
            conn.execute(
                "DELETE FROM refresh_tokens WHERE user_id = ? AND token_hash NOT IN (SELECT token_hash FROM "
                "refresh_tokens WHERE user_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?)",
                (user.id, user.id, self.max_sessions),
            )
        id_token, ttl = self.issue_id_token(user, sid)
        return id_token, ttl, token

    def exchange_refresh_token(self, refresh_token: object) -> Tuple[User, str, int]:
        """(user, new ID token, its lifetime) for a live refresh token.

        AuthFailure MISSING_REFRESH_TOKEN, INVALID_REFRESH_TOKEN (unknown, malformed or
        revoked) or TOKEN_EXPIRED (older than ``refresh_ttl``), all HTTP 400 as Firebase."""
        if not isinstance(refresh_token, str) or not refresh_token:
            raise AuthFailure("MISSING_REFRESH_TOKEN")
        if not _REFRESH_RE.fullmatch(refresh_token):
            raise AuthFailure("INVALID_REFRESH_TOKEN")
        digest = _token_hash(refresh_token)
        row = self.db.one(
            "SELECT t.sid AS session_id, t.created_at AS session_start, u.* FROM refresh_tokens t "
            "JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?",
            (digest,),
        )
        if row is None:
            raise AuthFailure("INVALID_REFRESH_TOKEN")
        if row["session_start"] + self.refresh_ttl <= self.now():
            self.revoke(refresh_token)
            raise AuthFailure("TOKEN_EXPIRED")
        sid = row["session_id"]
        if sid is None:  # a token from before sessions had ids
            sid = secrets.token_hex(16)
            with self.db.tx() as conn:
                conn.execute("UPDATE refresh_tokens SET sid = ? WHERE token_hash = ?", (sid, digest))
        user = _user(row)
        id_token, ttl = self.issue_id_token(user, sid)
        return user, id_token, ttl

    def revoke(self, refresh_token: object) -> bool:
        """End the session of ``refresh_token`` (its ID tokens stop working too); False if
        there was no such live session."""
        if not isinstance(refresh_token, str) or not _REFRESH_RE.fullmatch(refresh_token):
            return False
        with self.db.tx() as conn:
            cur = conn.execute("DELETE FROM refresh_tokens WHERE token_hash = ?", (_token_hash(refresh_token),))
            return cur.rowcount > 0

    def revoke_all(self, user: User) -> int:
        """End every session of ``user``; returns how many there were."""
        with self.db.tx() as conn:
            return conn.execute("DELETE FROM refresh_tokens WHERE user_id = ?", (user.id,)).rowcount

    def live_sessions(self, user: User) -> int:
        row = self.db.one(
            "SELECT count(*) AS n FROM refresh_tokens WHERE user_id = ? AND created_at > ?",
            (user.id, self.now() - self.refresh_ttl),
        )
        return int(row["n"])

    def verify_id_token(self, token: object) -> User:
        """The user of a valid, unexpired ID token of a live session;
        AuthFailure(TOKEN_EXPIRED / TOKEN_REVOKED / INVALID_ID_TOKEN / USER_NOT_FOUND, 401)."""
        if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
            raise AuthFailure("INVALID_ID_TOKEN", 401)
        try:
            head, body, sig = token.split(".")
            expected = hmac.new(self._secret, f"{head}.{body}".encode("ascii"), hashlib.sha256).digest()
            if not hmac.compare_digest(expected, _unb64(sig)):
                raise ValueError("bad signature")
            claims = json.loads(_unb64(body))
            if not isinstance(claims, dict):
                raise ValueError("claims are not an object")
            exp = float(claims.get("exp", 0))
        except (ValueError, TypeError, OverflowError, UnicodeError, RecursionError):
            raise AuthFailure("INVALID_ID_TOKEN", 401) from None
        now = self.now()
        if not math.isfinite(exp) or exp <= now:
            raise AuthFailure("TOKEN_EXPIRED", 401)
        sub, sid = claims.get("sub"), claims.get("sid")
        if not isinstance(sub, str) or not (sid is None or isinstance(sid, str)):
            raise AuthFailure("INVALID_ID_TOKEN", 401)
        if sid is not None:
            session = self.db.one("SELECT created_at FROM refresh_tokens WHERE sid = ?", (sid,))
            if session is None or session["created_at"] + self.refresh_ttl <= now:
                raise AuthFailure("TOKEN_REVOKED", 401)
        row = self.db.one("SELECT * FROM users WHERE uid = ?", (sub,))
        if row is None:
            raise AuthFailure("USER_NOT_FOUND", 401)
        return _user(row)

    def ensure_user(self, email: str, username: str) -> User:
        """A system account (e.g. ``samples``) with an unusable random password."""
        row = self.db.one("SELECT * FROM users WHERE email = ?", (email,))
        if row is not None:
            return _user(row)
        with self.db.tx() as conn:
            cur = conn.execute(
                "INSERT INTO users (uid, email, username, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                (secrets.token_hex(14), email, username, "disabled$", self.now()),
            )
            return self.user_by_id(cur.lastrowid)  # type: ignore[return-value]


def _duration(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"
