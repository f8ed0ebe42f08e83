"""Module-level state of the seed-compatible SDK: the one client ``init()`` builds.

Every public SDK function starts with ``client = _require_client()``, so calling one
before :func:`og_tui.sdk.init` raises the reference SDK's RuntimeError.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:  # pragma: no cover
    from eth_account.signers.local import LocalAccount

    from og_tui.core.alpha import AlphaClient
    from og_tui.core.chain import ChainClient
    from og_tui.core.hub import HubClient
    from og_tui.core.inference import InferenceClient
    from og_tui.core.llm import LLMClient
    from og_tui.core.profiles import Profile

NOT_INITIALIZED = "OpenGradient SDK is not initialized. Call og_tui.sdk.init(...) first."


@dataclass
class SdkClient:
    """What ``init()`` resolved: credentials, signer and endpoints.

    ``account`` is an eth_account LocalAccount (or None without a key); the private
    key itself is never kept as text here, and ``repr`` shows no secret.
    """

    email: Optional[str]
    password: Optional[str] = field(repr=False)
    account: Optional["LocalAccount"] = field(repr=False)
    rpc_url: str
    api_url: str
    contract_address: str
    profile: Optional["Profile"] = None
    _chain: Optional["ChainClient"] = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # the core clients the SDK functions built for this client (created on first use)
    _og_hub: Optional["HubClient"] = field(default=None, repr=False)
    _og_inference: Optional["InferenceClient"] = field(default=None, repr=False)
    _og_llm: Optional["LLMClient"] = field(default=None, repr=False)
    _og_alpha: Optional["AlphaClient"] = field(default=None, repr=False)

    @property
    def address(self) -> Optional[str]:
        return self.account.address if self.account is not None else None

    def require_account(self) -> "LocalAccount":
        if self.account is None:
            raise RuntimeError("This call signs a transaction; pass private_key to og_tui.sdk.init(...).")
        return self.account

    @property
    def chain(self) -> "ChainClient":
        """A JSON-RPC client for ``rpc_url`` (created on first use)."""
        with self._lock:
            if self._chain is None:
                from og_tui.core.chain import ChainClient

                self._chain = ChainClient(self.rpc_url)
            return self._chain

    def close(self) -> None:
        with self._lock:
            if self._chain is not None:
                self._chain.close()
                self._chain = None


_client: Optional[SdkClient] = None


def set_client(client: Optional[SdkClient]) -> None:
    global _client
    old, _client = _client, client
    if old is not None and old is not client:
        old.close()


def get_client() -> Optional[SdkClient]:
    return _client


def _require_client() -> SdkClient:
    if _client is None:
        raise RuntimeError(NOT_INITIALIZED)
    return _client
