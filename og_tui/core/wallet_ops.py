"""Wallet operations shared by the CLI and the TUI: balances, transfers, faucet.

Each operation talks to the chain through :class:`~og_tui.core.chain.ChainClient` and
records what it sent in the history :class:`~og_tui.core.store.Store` (kinds
``transfer-native``, ``transfer-token``, ``faucet``) with status, gas and block.
Plain functions; callable from worker threads; nothing here prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

from og_tui.core.errors import ChainError, TxReverted, ValidationError

if TYPE_CHECKING:  # pragma: no cover
    from eth_account.signers.local import LocalAccount

    from og_tui.core.chain import ChainClient, FeeEstimate, StatusCallback, TxOutcome
    from og_tui.core.profiles import Profile
    from og_tui.core.store import Store

__all__ = ["Balances", "get_balances", "resolve_asset", "estimate_send", "send", "fund"]

NATIVE = "native"


@dataclass(frozen=True)
class Balances:
    address: str
    native_wei: int
    token_units: int
    block: int
    native_symbol: str
    token_symbol: str
    token_decimals: int

    def as_dict(self) -> dict[str, Any]:
        from og_tui.core.amounts import format_amount
        from og_tui.core.constants import NATIVE_DECIMALS

        return {
            "address": self.address,
            "block": self.block,
            "native_wei": self.native_wei,
            "native": format_amount(self.native_wei, NATIVE_DECIMALS, max_decimals=18),
            "native_symbol": self.native_symbol,
            "token_units": self.token_units,
            "token": format_amount(self.token_units, self.token_decimals, max_decimals=self.token_decimals),
            "token_symbol": self.token_symbol,
        }


def get_balances(chain: "ChainClient", profile: "Profile", address: str) -> Balances:
    """Native and payment-token balances of ``address`` at the latest block."""
    block = chain.block_number()
    return Balances(
        address=address,
        native_wei=chain.balance(address),
        token_units=chain.token_balance(profile.payment_token, address),
        block=block,
        native_symbol=profile.native_symbol,
        token_symbol=profile.payment_token_symbol,
        token_decimals=profile.payment_token_decimals,
    )


def resolve_asset(profile: "Profile", asset: Optional[str]) -> tuple[Optional[str], int, str]:
    """``OG``/``native``/None -> (None, 18, "OG"); ``OUSDC``/token address -> (token, decimals, symbol)."""
    from og_tui.core.constants import NATIVE_DECIMALS

    text = (asset or "").strip()
    if not text or text.lower() in (NATIVE, profile.native_symbol.lower()):
        return None, NATIVE_DECIMALS, profile.native_symbol
    if text.lower() in (profile.payment_token_symbol.lower(), profile.payment_token.lower()):
        return profile.payment_token, profile.payment_token_decimals, profile.payment_token_symbol
    raise ValidationError(
        f"Unknown token {text!r}; use {profile.native_symbol} or {profile.payment_token_symbol}.", field="token"
    )


def estimate_send(
    chain: "ChainClient", profile: "Profile", from_addr: str, to: str, units: int, asset: Optional[str] = None
) -> "FeeEstimate":
    token, _, _ = resolve_asset(profile, asset)
    if token:
        return chain.estimate_transfer_cost(from_addr, to, token=token, units=units)
    return chain.estimate_transfer_cost(from_addr, to, wei=units)


def send(
    chain: "ChainClient",
    store: Optional["Store"],
    profile: "Profile",
    signer: "LocalAccount",
    to: str,
    units: int,
    asset: Optional[str] = None,
    on_status: Optional["StatusCallback"] = None,
) -> "TxOutcome":
    """Transfer ``units`` of OG (wei) or the payment token, recording it in ``store``.

    The record is written as ``pending`` once the transaction is sent and updated to
    ``confirmed`` / ``failed`` with gas and block when it is mined.
    """
    from og_tui.core.amounts import parse_address

    to = parse_address(to, field="to")
    token, decimals, symbol = resolve_asset(profile, asset)
    kind = "transfer-token" if token else "transfer-native"
    detail = {"symbol": symbol, "decimals": decimals}
    sent: dict[str, str] = {}

    def status(stage: str, info: dict[str, Any]) -> None:
        if stage == "sent" and store is not None:
            sent["hash"] = info["hash"]
            store.add_tx(
                info["hash"],
                kind,
                status="pending",
                from_addr=signer.address,
                to_addr=to,
                value=units,
                token=token,
                profile=profile.name,
                detail=detail,
            )
        if on_status is not None:
            on_status(stage, info)

    try:
        if token:
            outcome = chain.transfer_token(signer, token, to, units, on_status=status)
        else:
            outcome = chain.transfer_native(signer, to, units, on_status=status)
    except TxReverted as exc:
        if store is not None and (exc.tx_hash or sent.get("hash")):
            store.update_tx(exc.tx_hash or sent["hash"], status="failed", error=exc.reason or str(exc))
        raise
    except ChainError as exc:
        if store is not None and sent.get("hash"):
            store.update_tx(sent["hash"], error=str(exc))
        raise
    if store is not None:
        store.add_tx(
            outcome.hash,
            kind,
            status="confirmed",
            from_addr=signer.address,
            to_addr=to,
            value=units,
            token=token,
            profile=profile.name,
            gas_used=outcome.gas_used,
            block=outcome.block,
            detail={**detail, "gas_price": outcome.gas_price, "fee_wei": outcome.fee_wei},
        )
    return outcome


def fund(
    profile: "Profile", store: Optional["Store"], address: str, chain: Optional["ChainClient"] = None
) -> dict[str, Any]:
    """Devnet faucet: native gas tokens and payment tokens for ``address``.

    Records the faucet transactions (with gas and block when ``chain`` is given).
    """
    from og_tui.core.amounts import parse_address
    from og_tui.core.devnet_client import DevnetClient

    address = parse_address(address)
    if not profile.is_devnet or not profile.base_url:
        link = profile.faucet_link(address)
        raise ValidationError(
            f"Profile {profile.name!r} has no built-in faucet." + (f" Open {link} to request funds." if link else ""),
        )
    result = DevnetClient(profile.base_url).fund(address)
    if store is not None:
        for key, kind, value, token in (
            ("native_tx", "faucet-native", result.get("native_wei"), None),
            ("token_tx", "faucet-token", result.get("token_units"), profile.payment_token),
        ):
            tx_hash = result.get(key)
            if not tx_hash:
                continue
            fields: dict[str, Any] = {}
            if chain is not None:
                try:
                    receipt = chain.get_receipt(tx_hash) or {}
                    fields = {
                        "gas_used": int(receipt["gasUsed"], 16),
                        "block": int(receipt["blockNumber"], 16),
                        "status": "confirmed" if int(receipt["status"], 16) == 1 else "failed",
                    }
                except (ChainError, KeyError, TypeError, ValueError):
                    fields = {}
            store.add_tx(
                tx_hash,
                kind,
                status=fields.pop("status", "confirmed"),
                to_addr=address,
                value=value,
                token=token,
                profile=profile.name,
                detail={"source": "devnet faucet"},
                **fields,
            )
    return result
