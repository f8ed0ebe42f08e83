"""Chain access over plain JSON-RPC: read state, build, sign and send transactions.

The TUI imports this module at start-up, so it speaks JSON-RPC over one keep-alive
``httpx.Client`` instead of importing web3 (1.1 s / 63 MB). ``eth_account`` and
``eth_abi`` are imported inside the functions that sign or encode.

Transactions follow the reference SDK (protocol notes §2): nonce from ``pending``,
gas from ``eth_estimateGas`` times a margin, a legacy (type-0) transaction with
``gasPrice`` and ``chainId``, signed locally, sent raw, receipt polled with a short
interval, the revert reason replayed with ``eth_call``, and retries on nonce errors
only. Every failure is one of :mod:`og_tui.core.errors`; messages never carry keys.
"""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any, Optional

import httpx

from og_tui.core.chain_types import FeeEstimate, TokenInfo, TxOutcome
from og_tui.core.constants import NATIVE_DECIMALS, NATIVE_SYMBOL, OUSDC_ADDRESS, OUSDC_DECIMALS, OUSDC_NAME
from og_tui.core.errors import (
    ChainError,
    InsufficientFunds,
    NetworkUnreachable,
    NonceError,
    TxReverted,
    ValidationError,
)
from og_tui.core.hexutil import (
    ERROR_SELECTOR,
    PANIC_CODES,
    PANIC_SELECTOR,
    StatusCallback,
    abi_string,
    data_hex,
    decode_revert_reason,
    notify,
    quantity,
    to_hex,
    word_address,
)

__all__ = [
    "ChainClient",
    "TxOutcome",
    "FeeEstimate",
    "TokenInfo",
    "StatusCallback",
    "decode_revert_reason",
    "encode_transfer",
    "TRANSFER_SELECTOR",
    "BALANCE_OF_SELECTOR",
    "ERROR_SELECTOR",
    "PANIC_SELECTOR",
    "PANIC_CODES",
]

# ERC-20 selectors (keccak256 of the canonical signature, first 4 bytes; checked by a test).
TRANSFER_SELECTOR = "a9059cbb"  # transfer(address,uint256)
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


def _check_address(addr: Any, what: str = "address") -> str:
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


def encode_transfer(to: str, units: int) -> str:
    """Calldata of ERC-20 ``transfer(to, units)`` as 0x-hex (eth_abi imported lazily)."""
    from eth_abi.abi import encode

    to = _check_address(to, "recipient")
    if units < 0:
        raise ValidationError("A token amount cannot be negative.", field="amount")
    return "0x" + TRANSFER_SELECTOR + encode(["address", "uint256"], [to, int(units)]).hex()


def _fmt(amount: int, decimals: int, symbol: str) -> str:
    try:
        from og_tui.core.amounts import format_amount

        return f"{format_amount(amount, decimals)} {symbol}"
    except Exception:  # noqa: BLE001 - amounts module missing or changed; plain fallback
        whole, frac = divmod(int(amount), 10**decimals)
        frac_text = f"{frac:0{decimals}d}".rstrip("0") if decimals else ""
        return f"{whole}{'.' + frac_text if frac_text else ''} {symbol}"


# --- the client --------------------------------------------------------------------


class ChainClient:
    """JSON-RPC client for one chain. Thread-safe; call :meth:`close` when done."""

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
        # Serializes nonce selection -> send per sender within this process, so a burst
        # of sends from threads does not race for the same pending nonce.
        self._send_locks: dict[str, threading.Lock] = {}
        self._send_locks_guard = threading.Lock()
        #: sleep between nonce-error retries (the reference SDK uses 1 s; devnet mines at once)
        self.retry_delay = 0.05 if _is_local(rpc_url) else 1.0

    # -- plumbing -------------------------------------------------------------------
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "ChainClient":
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
        return quantity(self.rpc("eth_getBalance", [_check_address(address), block]))

    def gas_price(self) -> int:
        return quantity(self.rpc("eth_gasPrice"))

    def nonce(self, address: str, block: str = "pending") -> int:
        return quantity(self.rpc("eth_getTransactionCount", [_check_address(address), block]))

    def get_code(self, address: str) -> str:
        return str(self.rpc("eth_getCode", [_check_address(address), "latest"]))

    def call(self, tx: dict[str, Any], block: Any = "latest") -> str:
        """``eth_call``; returns the 0x-hex return data or raises TxReverted with the reason."""
        return str(self.rpc("eth_call", [_rpc_tx(tx), block if isinstance(block, str) else to_hex(block)]))

    def estimate_gas(self, tx: dict[str, Any]) -> int:
        """``eth_estimateGas``; a revert raises TxReverted with the decoded reason.

        If the node's estimate error carries no reason, the call is replayed with
        ``eth_call`` to get one (as the reference SDK does).
        """
        try:
            return quantity(self.rpc("eth_estimateGas", [_rpc_tx(tx)]))
        except TxReverted as exc:
            if exc.reason and exc.reason != "no reason given":
                raise
            reason = self._replay_reason(tx) or exc.reason
            raise TxReverted(f"The transaction would revert: {reason}.", reason=reason) from None

    def send_raw(self, raw: Any) -> str:
        """``eth_sendRawTransaction``; returns the 0x-prefixed hash."""
        result = self.rpc("eth_sendRawTransaction", [data_hex(raw)])
        text = str(result)
        return text if text.startswith("0x") else "0x" + text

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
        result = self.call({"to": _check_address(token, "token"), "data": data})
        return quantity(result) if result not in (None, "0x") else 0

    def token_info(self, token: str) -> TokenInfo:
        """name / symbol / decimals of an ERC-20 (cached per token)."""
        token = _check_address(token, "token")
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

    # -- sending --------------------------------------------------------------------
    def _sender_lock(self, address: str) -> threading.Lock:
        with self._send_locks_guard:
            return self._send_locks.setdefault(address.lower(), threading.Lock())

    def send(
        self,
        signer: Any,
        tx_fields: dict[str, Any],
        on_status: Optional[StatusCallback] = None,
        gas_margin: float = 1.2,
        max_retries: int = 5,
        receipt_timeout: float = 120.0,
        check_balance: bool = True,
        label: str = "transaction",
    ) -> TxOutcome:
        """Estimate, sign (legacy type-0), send and wait for one transaction.

        ``tx_fields`` holds ``to``, ``value`` (wei), ``data`` and optionally ``gas`` /
        ``gasPrice``. ``on_status(stage, info)`` is called with stage ``estimating``,
        ``signed``, ``sent``, ``mined`` (and ``retry`` before a nonce retry).
        Raises TxReverted (before signing when the estimate reverts), InsufficientFunds
        (before signing), NonceError after ``max_retries`` attempts, NetworkUnreachable.
        """
        attempts = max(1, int(max_retries))
        for attempt in range(1, attempts + 1):
            try:
                outcome = self._send_once(
                    signer, tx_fields, on_status, gas_margin, receipt_timeout, check_balance, label
                )
                outcome.attempts = attempt
                return outcome
            except NonceError as exc:
                if attempt >= attempts:
                    raise NonceError(f"{exc} (gave up after {attempts} attempts)") from None
                notify(on_status, "retry", {"attempt": attempt, "reason": str(exc)})
                time.sleep(self.retry_delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _send_once(
        self,
        signer: Any,
        tx_fields: dict[str, Any],
        on_status: Optional[StatusCallback],
        gas_margin: float,
        receipt_timeout: float,
        check_balance: bool,
        label: str = "transaction",
    ) -> TxOutcome:
        started = time.monotonic()
        sender = _check_address(signer.address, "sender")
        to = _check_address(tx_fields["to"], "recipient") if tx_fields.get("to") else None
        value = int(tx_fields.get("value") or 0)
        data = data_hex(tx_fields.get("data"))
        with self._sender_lock(sender):
            notify(on_status, "estimating", {"from": sender, "to": to, "value": value})
            call_tx = {"from": sender, "to": to, "value": value, "data": data}
            nonce, gas, gas_price, _estimate = self._prepare(
                sender, call_tx, tx_fields, gas_margin, check_balance, label
            )
            chain_id = self.chain_id()
            tx = {
                "nonce": nonce,
                "gas": int(gas),
                "gasPrice": int(gas_price),
                "value": value,
                "data": data,
                "chainId": chain_id,
            }
            if to is not None:
                tx["to"] = to
            signed = signer.sign_transaction(tx)
            local_hash = "0x" + bytes(signed.hash).hex()
            notify(
                on_status, "signed", {"hash": local_hash, "nonce": nonce, "gas": int(gas), "gas_price": int(gas_price)}
            )
            tx_hash = self.send_raw(bytes(signed.raw_transaction))
        notify(on_status, "sent", {"hash": tx_hash, "nonce": nonce})
        receipt = self.wait_receipt(tx_hash, timeout=receipt_timeout)
        status = quantity(receipt.get("status"))
        if status != 1:
            reason = self._replay_reason(call_tx, receipt.get("blockNumber") or "latest") or "no reason given"
            raise TxReverted(f"The transaction was mined but reverted: {reason}.", reason=reason, tx_hash=tx_hash)
        outcome = TxOutcome(
            hash=tx_hash,
            status=status,
            gas_used=quantity(receipt.get("gasUsed")),
            block=quantity(receipt.get("blockNumber")),
            from_addr=sender,
            to_addr=to,
            latency_s=time.monotonic() - started,
            gas_price=int(gas_price),
            nonce=nonce,
            receipt=receipt,
        )
        notify(on_status, "mined", outcome.as_dict())
        return outcome

    def _prepare(
        self,
        sender: str,
        call_tx: dict[str, Any],
        tx_fields: dict[str, Any],
        gas_margin: float,
        check_balance: bool,
        label: str,
    ) -> tuple[int, int, int, int]:
        """Nonce, gas limit, gas price and raw gas estimate, in one batched round trip.

        Raises InsufficientFunds (checked against the balance) or TxReverted (the
        estimate reverted; reason replayed with eth_call if the node gave none).
        """
        calls: list[tuple[str, list[Any]]] = [("eth_getTransactionCount", [sender, "pending"])]
        want_gas = tx_fields.get("gas") is None
        want_price = tx_fields.get("gasPrice") is None
        if want_gas:
            calls.append(("eth_estimateGas", [_rpc_tx(call_tx)]))
        if want_price:
            calls.append(("eth_gasPrice", []))
        if check_balance:
            calls.append(("eth_getBalance", [sender, "latest"]))
        if self._chain_id is None:
            calls.append(("eth_chainId", []))
        results = dict(zip([m for m, _ in calls], self.rpc_batch(calls)))
        for method in ("eth_getTransactionCount", "eth_gasPrice", "eth_getBalance", "eth_chainId"):
            if isinstance(results.get(method), Exception):
                raise results[method]
        if "eth_chainId" in results:
            self._chain_id = quantity(results["eth_chainId"])
        nonce = quantity(results["eth_getTransactionCount"])
        gas_price = quantity(results["eth_gasPrice"]) if want_price else int(tx_fields["gasPrice"])
        value = int(call_tx.get("value") or 0)
        estimate = results.get("eth_estimateGas")
        if isinstance(estimate, Exception):
            if (
                check_balance
                and isinstance(estimate, (InsufficientFunds, ChainError))
                and not isinstance(estimate, TxReverted)
            ):
                # Say it in our words when the balance explains the failure.
                self._require_native(sender, value, 21000 * gas_price, quantity(results["eth_getBalance"]), label)
            if isinstance(estimate, TxReverted) and (not estimate.reason or estimate.reason == "no reason given"):
                reason = self._replay_reason(call_tx) or estimate.reason
                raise TxReverted(f"The transaction would revert: {reason}.", reason=reason)
            raise estimate
        raw_gas = quantity(estimate) if want_gas else int(tx_fields["gas"])
        gas = max(21000, int(raw_gas * gas_margin)) if want_gas else raw_gas
        if check_balance:
            self._require_native(sender, value, gas * gas_price, quantity(results["eth_getBalance"]), label)
        return nonce, gas, gas_price, raw_gas

    def _require_native(
        self, sender: str, value: int, gas_fee: int, have: Optional[int] = None, label: str = "transaction"
    ) -> None:
        if have is None:
            have = self.balance(sender)
        if have < value + gas_fee:
            need = _fmt(value, NATIVE_DECIMALS, NATIVE_SYMBOL)
            raise InsufficientFunds(
                f"You have {_fmt(have, NATIVE_DECIMALS, NATIVE_SYMBOL)}; this {label} needs {need} "
                f"plus about {_fmt(gas_fee, NATIVE_DECIMALS, NATIVE_SYMBOL)} for gas."
            )

    # -- transfers ------------------------------------------------------------------
    def transfer_native(
        self, signer: Any, to: str, wei: int, on_status: Optional[StatusCallback] = None, **kwargs: Any
    ) -> TxOutcome:
        """Send ``wei`` of the native token (OG) to ``to``."""
        if int(wei) < 0:
            raise ValidationError("An amount cannot be negative.", field="amount")
        kwargs.setdefault("label", "transfer")
        return self.send(signer, {"to": to, "value": int(wei)}, on_status=on_status, **kwargs)

    def transfer_token(
        self,
        signer: Any,
        token: str,
        to: str,
        units: int,
        on_status: Optional[StatusCallback] = None,
        **kwargs: Any,
    ) -> TxOutcome:
        """ERC-20 ``transfer(to, units)`` on ``token`` (units in the token's smallest unit)."""
        data = encode_transfer(to, units)
        self._require_tokens(token, signer.address, int(units))
        kwargs.setdefault("label", "transfer")
        return self.send(signer, {"to": token, "value": 0, "data": data}, on_status=on_status, **kwargs)

    def estimate_transfer_cost(
        self,
        from_addr: str,
        to: str,
        wei: int = 0,
        token: Optional[str] = None,
        units: int = 0,
        gas_margin: float = 1.2,
    ) -> FeeEstimate:
        """Gas and fee of a native (``wei``) or token (``token``, ``units``) transfer.

        For a confirm dialog: raises InsufficientFunds (in the same words as the
        transfer would) when the sender cannot pay, TxReverted when it would revert.
        """
        sender = _check_address(from_addr, "sender")
        if token:
            self._require_tokens(token, sender, int(units))
            tx = {"from": sender, "to": token, "value": 0, "data": encode_transfer(to, units)}
        else:
            tx = {"from": sender, "to": _check_address(to, "recipient"), "value": int(wei)}
        _nonce, limit, price, gas = self._prepare(sender, tx, {}, gas_margin, True, "transfer")
        return FeeEstimate(gas, price, gas * price, limit, limit * price)

    def _require_tokens(self, token: str, sender: str, units: int) -> None:
        have = self.token_balance(token, sender)
        if have < units:
            symbol, decimals = self._token_meta(token)
            raise InsufficientFunds(
                f"You have {_fmt(have, decimals, symbol)}; this transfer needs {_fmt(units, decimals, symbol)}."
            )


# --- helpers -------------------------------------------------------------------------


def _rpc_tx(tx: dict[str, Any]) -> dict[str, Any]:
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


def _is_local(url: str) -> bool:
    try:
        host = httpx.URL(url).host
    except Exception:  # noqa: BLE001
        return False
    return host in ("127.0.0.1", "localhost", "::1", "0.0.0.0")
