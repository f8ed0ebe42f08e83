"""Chain reads over plain JSON-RPC: the keep-alive client, error mapping, state, calls, receipts.

:class:`ChainReader` holds the JSON-RPC plumbing (one keep-alive ``httpx.Client``, single and
batched calls, node errors mapped to :mod:`og_tui.core.errors`) and everything that only reads:
chain id, balances, nonces, gas price and estimates, ``eth_call`` (with the revert reason
replayed), receipts and ERC-20 metadata. Building, signing and sending transactions is
:class:`og_tui.core.chain.ChainClient`'s job, which extends this class.

The TUI imports this at start-up: no web3, and ``eth_account`` / ``eth_abi`` are never
imported here.
"""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any, Optional, Self

import httpx

from og_tui.core.chain_types import TokenInfo
from og_tui.core.constants import OUSDC_ADDRESS, OUSDC_DECIMALS, OUSDC_NAME
from og_tui.core.errors import (
    ChainError,
    InsufficientFunds,
    NetworkUnreachable,
    NonceError,
    TxReverted,
    ValidationError,
)
from og_tui.core.hexutil import abi_string, data_hex, decode_revert_reason, quantity, to_hex, word_address

__all__ = [
    "ChainReader",
    "BALANCE_OF_SELECTOR",
    "DECIMALS_SELECTOR",
    "SYMBOL_SELECTOR",
    "NAME_SELECTOR",
    "check_address",
    "rpc_tx",
    "is_local",
]

# ERC-20 selectors (keccak256 of the canonical signature, first 4 bytes; checked by a test).
BALANCE_OF_SELECTOR = "70a08231"  # balanceOf(address)
DECIMALS_SELECTOR = "313ce567"  # decimals()
SYMBOL_SELECTOR = "95d89b41"  # symbol()
NAME_SELECTOR = "06fdde03"  # name()

_NONCE_MARKERS = ("invalid nonce", "nonce too low", "nonce too high", "nonce is too low", "replacement transaction")
_FUNDS_MARKERS = (
    "insufficient funds",
    "insufficient balance for transfer",
    "sender doesn't have enough funds",
    "does not have enough balance",
)


# --- addresses -------------------------------------------------------------------


def check_address(addr: Any, what: str = "address") -> str:
    """``addr`` checksummed (EIP-55, via :func:`og_tui.core.amounts.parse_address`).

    The error names what the address was for: "Recipient '0x12': an address is 40 hex
    characters after 0x; this one has 2."
    """
    from og_tui.core.amounts import parse_address

    try:
        return parse_address(addr, field=what)
    except ValidationError as exc:
        shown = str(addr or "").strip()
        text = exc.message[:1].lower() + exc.message[1:]
        raise ValidationError(f"{what.capitalize()} {shown!r}: {text}", field=what, hint=exc.hint) from None


# --- the client --------------------------------------------------------------------


class ChainReader:
    """JSON-RPC client for one chain that reads. Thread-safe; call :meth:`close` when done."""

    def __init__(self, rpc_url: str, timeout: float = 10.0) -> None:
        self.rpc_url = rpc_url
        self.timeout = timeout
        self._http = httpx.Client(
            # Plain-http URLs (the devnet) skip loading the CA bundle: ~35 ms per client.
            verify=not rpc_url.startswith("http://"),
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            limits=httpx.Limits(max_keepalive_connections=8, max_connections=32, keepalive_expiry=60.0),
            headers={"content-type": "application/json"},
        )
        self._ids = itertools.count(1)
        self._id_lock = threading.Lock()
        self._chain_id: Optional[int] = None
        self._tokens: dict[str, TokenInfo] = {}

    # -- plumbing -------------------------------------------------------------------
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _next_id(self) -> int:
        with self._id_lock:
            return next(self._ids)

    def rpc(self, method: str, params: Optional[list[Any]] = None) -> Any:
        """One JSON-RPC call; the ``result`` or one of our errors."""
        body = {"jsonrpc": "2.0", "id": self._next_id(), "method": method, "params": params or []}
        payload, resp = self._post(body, method)
        if isinstance(payload, dict) and payload.get("error") is not None:
            raise self._map_error(method, payload["error"])
        if resp.status_code >= 400 or not isinstance(payload, dict) or "result" not in payload:
            raise ChainError(f"The chain RPC at {self.rpc_url} answered HTTP {resp.status_code} to {method}.")
        return payload["result"]

    def rpc_batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        """Several JSON-RPC calls in one HTTP round trip.

        Returns one entry per call, in order: the result, or the mapped exception
        instance (not raised) for a call that failed, so callers pick what matters.
        """
        if not calls:
            return []
        ids = [self._next_id() for _ in calls]
        body = [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in zip(ids, calls)]
        payload, resp = self._post(body, "batch")
        if not isinstance(payload, list):
            # A node without batch support: fall back to one call at a time.
            out: list[Any] = []
            for method, params in calls:
                try:
                    out.append(self.rpc(method, params))
                except ChainError as exc:
                    if isinstance(exc, NetworkUnreachable):
                        raise
                    out.append(exc)
            return out
        by_id = {item.get("id"): item for item in payload if isinstance(item, dict)}
        results: list[Any] = []
        for i, (method, _params) in zip(ids, calls):
            item = by_id.get(i)
            if item is None:
                results.append(ChainError(f"The chain RPC at {self.rpc_url} gave no answer to {method}."))
            elif item.get("error") is not None:
                results.append(self._map_error(method, item["error"]))
            else:
                results.append(item.get("result"))
        return results

    def _post(self, body: Any, method: str) -> tuple[Any, httpx.Response]:
        try:
            resp = self._http.post(self.rpc_url, json=body)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise NetworkUnreachable(f"Cannot reach the chain RPC at {self.rpc_url} ({_short_exc(exc)}).") from None
        except httpx.TimeoutException:
            raise NetworkUnreachable(
                f"The chain RPC at {self.rpc_url} did not answer {method} within {self.timeout:g} s.",
                hint="The node may be overloaded or down; try again in a moment.",
            ) from None
        except httpx.HTTPError as exc:
            raise NetworkUnreachable(
                f"Talking to the chain RPC at {self.rpc_url} failed ({_short_exc(exc)})."
            ) from None
        try:
            payload = resp.json()
        except ValueError:
            raise ChainError(
                f"The chain RPC at {self.rpc_url} answered HTTP {resp.status_code} with something that is not JSON-RPC.",
                hint="Check the RPC URL of the active profile.",
            ) from None
        return payload, resp

    def _map_error(self, method: str, error: Any) -> Exception:
        if not isinstance(error, dict):
            return ChainError(f"{method} failed: {error}")
        message = str(error.get("message") or "")
        data = error.get("data")
        if isinstance(data, dict):  # some nodes nest {"data": "0x..", "message": ..}
            data = data.get("data") or data.get("result")
        low = message.lower()
        if any(m in low for m in _FUNDS_MARKERS):
            return InsufficientFunds(f"The network refused the transaction: {message}.")
        if any(m in low for m in _NONCE_MARKERS) or ("nonce" in low and method == "eth_sendRawTransaction"):
            return NonceError(f"The network refused the transaction nonce: {message}.")
        is_revert = "revert" in low or error.get("code") == 3
        if is_revert or (isinstance(data, str) and data.startswith("0x") and len(data) >= 10):
            if isinstance(data, str) and data.startswith("0x") and len(data) > 2:
                reason = decode_revert_reason(data)
            else:
                reason = _reason_from_message(message)
            return TxReverted(f"The transaction would revert: {reason}.", reason=reason)
        return ChainError(f"{method} failed: {message or error}")

    # -- reads ----------------------------------------------------------------------
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = quantity(self.rpc("eth_chainId"))
        return self._chain_id

    def block_number(self) -> int:
        return quantity(self.rpc("eth_blockNumber"))

    def balance(self, address: str, block: str = "latest") -> int:
        return quantity(self.rpc("eth_getBalance", [check_address(address), block]))

    def gas_price(self) -> int:
        return quantity(self.rpc("eth_gasPrice"))

    def nonce(self, address: str, block: str = "pending") -> int:
        return quantity(self.rpc("eth_getTransactionCount", [check_address(address), block]))

    def get_code(self, address: str) -> str:
        return str(self.rpc("eth_getCode", [check_address(address), "latest"]))

    def call(self, tx: dict[str, Any], block: Any = "latest") -> str:
        """``eth_call``; returns the 0x-hex return data or raises TxReverted with the reason."""
        return str(self.rpc("eth_call", [rpc_tx(tx), block if isinstance(block, str) else to_hex(block)]))

    def estimate_gas(self, tx: dict[str, Any]) -> int:
        """``eth_estimateGas``; a revert raises TxReverted with the decoded reason.

        If the node's estimate error carries no reason, the call is replayed with
        ``eth_call`` to get one (as the reference SDK does).
        """
        try:
            return quantity(self.rpc("eth_estimateGas", [rpc_tx(tx)]))
        except TxReverted as exc:
            if exc.reason and exc.reason != "no reason given":
                raise
            reason = self._replay_reason(tx) or exc.reason
            raise TxReverted(f"The transaction would revert: {reason}.", reason=reason) from None

    def get_receipt(self, tx_hash: str) -> Optional[dict[str, Any]]:
        receipt = self.rpc("eth_getTransactionReceipt", [tx_hash])
        return receipt if isinstance(receipt, dict) else None

    def wait_receipt(self, tx_hash: str, timeout: float = 120.0, poll: float = 0.02) -> dict[str, Any]:
        """Poll for the receipt, starting at ``poll`` seconds and growing to 0.5 s."""
        deadline = time.monotonic() + timeout
        delay = poll
        while True:
            receipt = self.get_receipt(tx_hash)
            if receipt:
                return receipt
            if time.monotonic() >= deadline:
                raise ChainError(
                    f"The transaction was sent but not mined within {timeout:g} s.",
                    hint="It may still be mined later; check the activity list before sending it again.",
                )
            time.sleep(delay)
            delay = min(delay * 1.25, 0.5)

    def token_balance(self, token: str, address: str) -> int:
        data = "0x" + BALANCE_OF_SELECTOR + word_address(address)
        result = self.call({"to": check_address(token, "token"), "data": data})
        return quantity(result) if result not in (None, "0x") else 0

    def token_info(self, token: str) -> TokenInfo:
        """name / symbol / decimals of an ERC-20 (cached per token)."""
        token = check_address(token, "token")
        key = token.lower()
        if key not in self._tokens:
            name = abi_string(bytes.fromhex(self.call({"to": token, "data": "0x" + NAME_SELECTOR})[2:]))
            symbol = abi_string(bytes.fromhex(self.call({"to": token, "data": "0x" + SYMBOL_SELECTOR})[2:]))
            decimals = quantity(self.call({"to": token, "data": "0x" + DECIMALS_SELECTOR}))
            self._tokens[key] = TokenInfo(token, name, symbol, decimals)
        return self._tokens[key]

    def _token_meta(self, token: str) -> tuple[str, int]:
        if token.lower() == OUSDC_ADDRESS.lower():
            return OUSDC_NAME, OUSDC_DECIMALS
        try:
            info = self.token_info(token)
            return info.symbol or "tokens", info.decimals
        except Exception:  # noqa: BLE001 - only used for message wording
            return "token units", 0

    def _replay_reason(self, tx: dict[str, Any], block: Any = "latest") -> Optional[str]:
        try:
            self.call(tx, block)
        except TxReverted as exc:
            return exc.reason
        except ChainError:
            return None
        return None


# --- helpers -------------------------------------------------------------------------


def rpc_tx(tx: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tx.items():
        if value is None:
            continue
        if key in ("value", "gas", "gasPrice", "nonce", "maxFeePerGas", "maxPriorityFeePerGas"):
            out[key] = to_hex(quantity(value))
        elif key in ("data", "input"):
            out["data"] = data_hex(value)
        else:
            out[key] = value
    return out


def _reason_from_message(message: str) -> str:
    text = message.strip()
    low = text.lower()
    for prefix in (
        "execution reverted:",
        "execution reverted",
        "vm exception while processing transaction: revert",
        "reverted:",
        "revert",
    ):
        if low.startswith(prefix):
            text = text[len(prefix) :].strip(" :")
            break
    return text or "no reason given"


def _short_exc(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:160] if text else type(exc).__name__


def is_local(url: str) -> bool:
    try:
        host = httpx.URL(url).host
    except Exception:  # noqa: BLE001
        return False
    return host in ("127.0.0.1", "localhost", "::1", "0.0.0.0")
