"""The app's handle on core: settings, store, wallets, chain client, unlocked signers.

Everything here is plain Python and may be called from worker threads. Unlocked
accounts live only in memory for the life of the app.
"""

from __future__ import annotations

import threading
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from og_tui.core.chain import ChainClient
    from og_tui.core.config import Settings
    from og_tui.core.devnet_proc import DevnetHandle
    from og_tui.core.profiles import Profile
    from og_tui.core.secrets import WalletStore
    from og_tui.core.store import Store


class AppContext:
    def __init__(self, settings: "Settings", *, autostart_devnet: bool = True) -> None:
        self.settings = settings
        self.autostart_devnet = autostart_devnet
        self.devnet: "DevnetHandle | None" = None
        self._signers: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._chain: "ChainClient | None" = None

    # --- profile ------------------------------------------------------------------
    @property
    def profile(self) -> "Profile":
        return self.settings.profile

    @property
    def is_devnet(self) -> bool:
        return self.profile.kind == "devnet"

    def switch_profile(self, settings: "Settings") -> None:
        with self._lock:
            self.settings = settings
            if self._chain is not None:
                self._chain.close()
            self._chain = None

    # --- services -----------------------------------------------------------------
    @cached_property
    def store(self) -> "Store":
        from og_tui.core.store import Store

        self.settings.ensure_dirs()  # 0700 dirs; older 0644 files made private
        return Store(self.settings.data_dir / "og-tui.db")

    @cached_property
    def wallets(self) -> "WalletStore":
        import os

        from og_tui.core.secrets import WalletStore

        return WalletStore(self.settings.data_dir, keyring_mode=os.environ.get("OG_TUI_KEYRING", "auto"))

    @property
    def chain(self) -> "ChainClient":
        with self._lock:
            if self._chain is None:
                from og_tui.core.chain import ChainClient

                self._chain = ChainClient(self.profile.rpc_url)
            return self._chain

    # --- signers ------------------------------------------------------------------
    def signer(self, address: str) -> Any | None:
        return self._signers.get(address.lower())

    def remember_signer(self, account: Any) -> None:
        self._signers[account.address.lower()] = account

    def forget_signer(self, address: str) -> None:
        self._signers.pop(address.lower(), None)

    def unlock(self, address: str, passphrase: str | None) -> Any:
        account = self.wallets.unlock(address, passphrase)
        self.remember_signer(account)
        return account

    def close(self) -> None:
        if self._chain is not None:
            self._chain.close()
        if self.devnet is not None and self.devnet.started:
            self.devnet.stop()
