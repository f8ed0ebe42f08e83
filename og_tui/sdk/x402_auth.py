"""X402 Authentication handler for httpx streaming requests (seed module ``x402_auth``).

    auth = X402Auth(account)                                  # signs for network "og-evm"
    async with httpx.AsyncClient(auth=auth) as http: ...      # or httpx.Client

On a 402 it selects the first requirement of scheme ``scheme_filter`` (default
``exact``, the only scheme it can sign) on ``network_filter`` (default ``og-evm``, as
the reference's streaming path does), refuses amounts over ``max_value``
(before signing), signs an EIP-3009 authorization with ``account`` and retries once with
``X-Payment``. The signing chain id comes from the network name (og-evm 10740,
og-devnet 107401) unless ``chain_id`` is given.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from og_tui.core import constants
from og_tui.core.x402 import X402PaymentAuth, select_requirements
from og_tui.core.x402_common import SpendCaps

__all__ = ["X402Auth", "NETWORK_CHAIN_IDS"]

NETWORK_CHAIN_IDS = {
    constants.OG_X402_NETWORK: constants.OG_CHAIN_ID,
    constants.DEVNET_X402_NETWORK: constants.DEVNET_CHAIN_ID,
}


class X402Auth(X402PaymentAuth):
    """Auth class for handling x402 payment requirements."""

    def __init__(
        self,
        account: Any,
        max_value: Optional[int] = None,
        payment_requirements_selector: Optional[Callable[..., dict[str, Any]]] = None,
        network_filter: Optional[str] = constants.OG_X402_NETWORK,
        scheme_filter: Optional[str] = None,
        chain_id: Optional[int] = None,
    ) -> None:
        if chain_id is None:
            chain_id = NETWORK_CHAIN_IDS.get(network_filter or "", constants.OG_CHAIN_ID)
        caps = SpendCaps(per_request=max_value) if max_value is not None else None
        super().__init__(account, network_filter, chain_id, caps=caps)
        self.account = account
        self.max_value = max_value
        self._selector = payment_requirements_selector
        self.network_filter = network_filter
        self.scheme_filter = scheme_filter

    def _select(self, accepts: Any) -> dict[str, Any]:
        scheme = self.scheme_filter or "exact"
        if self._selector is not None:
            return self._selector(accepts, self.network, scheme, self.max_value)
        return select_requirements(accepts, self.network, scheme)
