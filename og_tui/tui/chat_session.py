"""What the Chat screen keeps for the app's whole run: the chat store, spend caps, LLM clients.

Plain Python, used from worker threads; one :class:`ChatSession` per :class:`AppContext`.
"""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from og_tui.core.chat_store import ChatStore
    from og_tui.tui.context import AppContext

__all__ = ["ChatSession", "chat_session", "default_model"]


class ChatSession:
    """What outlives the Chat screen for the app's run: the store, spend caps (OUSDC and OPG), LLM clients."""

    def __init__(self, ctx: "AppContext") -> None:
        self.ctx = ctx
        self._lock = threading.Lock()
        self._store: "ChatStore | None" = None
        self._caps: Any = None
        self._opg_caps: Any = None
        self._clients: dict[tuple, Any] = {}
        self._retired: list[Any] = []  # clients replaced after a profile switch, closed with the session
        self.history: list[str] = []  # prompts sent during this run (newest last)
        self.on_payment: Any = None

    @property
    def store(self) -> "ChatStore":
        with self._lock:
            if self._store is None:
                from og_tui.core.chat_store import ChatStore

                self._store = ChatStore(self.ctx.settings.db_path)
            return self._store

    @property
    def caps(self) -> Any:
        with self._lock:
            if self._caps is None:
                from og_tui.core.x402_common import SpendCaps

                self._caps = SpendCaps.from_settings(self.ctx.settings)
            return self._caps

    @property
    def opg_caps(self) -> Any:
        """Spend caps of x402 v2 payments (OPG), from ``llm_cap_opg_per_request`` / ``_per_run``."""
        with self._lock:
            if self._opg_caps is None:
                from og_tui.core.x402_v2 import opg_caps

                self._opg_caps = opg_caps(self.ctx.settings)
            return self._opg_caps

    def caps_for(self, profile: Any) -> Any:
        """The caps the chat's per-request cap and "spent this run" are in: OPG on a profile
        paying x402 v2, else the profile's token."""
        from og_tui.tui.payment_text import generation

        return self.opg_caps if generation(profile) == "2" else self.caps

    @property
    def caps_made(self) -> bool:
        """The spend caps exist (reading :attr:`caps` then costs no import and no file)."""
        return self._caps is not None and self._opg_caps is not None

    def client(self, signer: Any) -> Any:
        profile = self.ctx.profile
        chain = self.ctx.chain  # (a new one after a profile switch: a client made for the old one is replaced)
        key = (profile.name, profile.llm_url, getattr(signer, "address", None))
        with self._lock:
            client = self._clients.get(key)
        if client is None or client.chain is not chain:
            # made outside the lock (imports, the store opened): the Chat screen's handlers
            # read the caps under it
            from og_tui.core.llm import LLMClient

            made = LLMClient(
                profile, signer, store=self.ctx.store, caps=None, chain=chain, on_payment=self._paid, timeout=120.0
            )
            with self._lock:
                client = self._clients.get(key)
                if client is None or client.chain is not chain:
                    if client is not None:
                        self._retired.append(client)  # (a reply may still be using it)
                    client = self._clients[key] = made
                else:
                    self._retired.append(made)  # another thread made one first
        client.caps = self.caps
        client.opg_caps = self.opg_caps  # x402 v2 payments (a profile's x402_version 2 or auto)
        return client

    def _paid(self, info: Any) -> None:
        if self.on_payment is not None:
            self.on_payment(info)

    def close(self) -> None:
        with self._lock:
            for client in [*self._clients.values(), *self._retired]:
                client.close()
            self._clients.clear()
            self._retired.clear()


_SESSIONS: "weakref.WeakKeyDictionary[Any, ChatSession]" = weakref.WeakKeyDictionary()


def chat_session(ctx: "AppContext") -> ChatSession:
    session = _SESSIONS.get(ctx)
    if session is None:
        session = _SESSIONS[ctx] = ChatSession(ctx)
    return session


def default_model(ctx: "AppContext") -> str:
    from og_tui.core.llm import DEVNET_MODEL

    return DEVNET_MODEL if ctx.is_devnet else "openai/gpt-4o"
