"""One Model Hub client per profile for the life of the app, and its sign-in state.

Plain Python, called from worker threads. The password goes to the secret store
(``WalletStore.set_hub_credentials``) and nowhere else: never shown, never logged.
Browsing needs no session; creating models/versions and uploading do.
"""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from og_tui.core.hub import HubClient, HubSession
    from og_tui.tui.context import AppContext

_BY_CTX: "weakref.WeakKeyDictionary[Any, HubSessions]" = weakref.WeakKeyDictionary()
_BY_CTX_LOCK = threading.Lock()


class HubSessions:
    """Hub clients keyed by profile name (a profile switch keeps each one's session)."""

    def __init__(self, ctx: "AppContext") -> None:
        self.ctx = ctx
        self._clients: dict[tuple[str, str, str], "HubClient"] = {}
        self._lock = threading.Lock()

    # --- clients ----------------------------------------------------------------------
    @property
    def profile_name(self) -> str:
        return self.ctx.profile.name

    def client(self) -> "HubClient":
        profile = self.ctx.profile
        key = (profile.name, profile.hub_url, profile.auth_url)
        with self._lock:
            client = self._clients.get(key)
        if client is not None:
            return client
        # made outside the lock: the first one imports the HTTP stack, and the screen's
        # handlers take the lock to ask "signed in?"
        from og_tui.core.hub import HubClient

        made = HubClient(profile.hub_url, profile.auth_url, profile.firebase_api_key)
        with self._lock:
            client = self._clients.setdefault(key, made)
        if client is not made:
            made.close()
        return client

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()

    def _existing(self) -> "HubClient | None":
        profile = self.ctx.profile
        with self._lock:
            return self._clients.get((profile.name, profile.hub_url, profile.auth_url))

    # --- state (cheap: no client is created, nothing is imported) -------------------------
    @property
    def signed_in(self) -> bool:
        client = self._existing()
        return client is not None and client.signed_in

    @property
    def email(self) -> str | None:
        client = self._existing()
        session = client.session if client is not None else None
        return session.email if session else None

    def stored_email(self) -> str | None:
        try:
            return self.ctx.wallets.hub_email(self.profile_name)
        except Exception:  # noqa: BLE001 - a damaged index only means "nothing stored"
            return None

    def stored_needs_passphrase(self) -> bool:
        try:
            return self.ctx.wallets.hub_needs_passphrase(self.profile_name)
        except Exception:  # noqa: BLE001
            return True

    def keyring_available(self) -> bool:
        try:
            return bool(self.ctx.wallets.keyring_available())
        except Exception:  # noqa: BLE001
            return False

    def status_line(self) -> str:
        """One line for the Account and Hub screens (no secrets)."""
        if self.signed_in:
            return f"signed in as {self.email}"
        stored = self.stored_email()
        if stored:
            return f"{stored} (saved, not signed in yet)"
        return "not signed in"

    # --- sign-in (blocking: call from a worker) ------------------------------------------
    def sign_in(
        self,
        email: str,
        password: str,
        *,
        create: bool = False,
        remember: bool = True,
        passphrase: str | None = None,
    ) -> "HubSession":
        """Sign in (or sign up when ``create``); remember the password in the secret store.

        Without an OS keyring the password is remembered only when a ``passphrase`` is
        given (it encrypts the password on disk).
        """
        client = self.client()
        session = client.sign_up(email, password) if create else client.sign_in(email, password)
        if remember and (passphrase or self.keyring_available()):
            self.ctx.wallets.set_hub_credentials(self.profile_name, email, password, passphrase)
        return session

    def resume(self, passphrase: str | None = None) -> "HubSession | None":
        """Sign in with the stored credentials; None when nothing is stored."""
        creds = self.ctx.wallets.get_hub_credentials(self.profile_name, passphrase)
        if creds is None:
            return None
        return self.client().sign_in(creds.email, creds.password)

    def sign_out(self, forget: bool = False) -> None:
        client = self._existing()
        if client is not None:
            client.sign_out()
        if forget:
            self.ctx.wallets.delete_hub_credentials(self.profile_name)


def hub_sessions(ctx: "AppContext") -> HubSessions:
    """The app's hub sessions (created on first use, one per AppContext)."""
    with _BY_CTX_LOCK:
        sessions = _BY_CTX.get(ctx)
        if sessions is None:
            sessions = HubSessions(ctx)
            _BY_CTX[ctx] = sessions
        return sessions
