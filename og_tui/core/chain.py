"""Chain transactions over plain JSON-RPC: build, sign, send and wait for them; transfers.

:class:`ChainClient` extends :class:`og_tui.core.chain_read.ChainReader` (the JSON-RPC
plumbing and every read) with sending. The TUI imports this module at start-up, so it
speaks JSON-RPC over one keep-alive ``httpx.Client`` instead of importing web3 (1.1 s /
63 MB). ``eth_account`` and ``eth_abi`` are imported inside the functions that sign or encode.

Transactions follow the reference SDK (protocol notes §2): nonce from ``pending``,
gas from ``eth_estimateGas`` times a margin, a legacy (type-0) transaction with
``gasPrice`` and ``chainId``, signed locally, sent raw, receipt polled with a short
interval, the revert reason replayed with ``eth_call``, and retries on nonce errors
only. Every failure is one of :mod:`og_tui.core.errors`; messages never carry keys.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Optional

from og_tui.core.chain_read import ChainReader, check_address, is_local, rpc_tx
from og_tui.core.chain_types import FeeEstimate, TokenInfo, TxOutcome
from og_tui.core.constants import NATIVE_DECIMALS, NATIVE_SYMBOL
from og_tui.core.errors import ChainError, InsufficientFunds, NonceError, TxReverted, ValidationError
from og_tui.core.hexutil import (
    ERROR_SELECTOR,
    PANIC_CODES,
    PANIC_SELECTOR,
    StatusCallback,
    data_hex,
    decode_revert_reason,
    notify,
    quantity,
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
    "ERROR_SELECTOR",
    "PANIC_SELECTOR",
    "PANIC_CODES",
]

# ERC-20 selectors (keccak256 of the canonical signature, first 4 bytes; checked by a test).
TRANSFER_SELECTOR = "a9059cbb"  # transfer(address,uint256)


def encode_transfer(to: str, units: int) -> str:
    """Calldata of ERC-20 ``transfer(to, units)`` as 0x-hex (eth_abi imported lazily)."""
    from eth_abi.abi import encode

    to = check_address(to, "recipient")
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


class ChainClient(ChainReader):
    """JSON-RPC client for one chain that also sends transactions. Thread-safe; call :meth:`close` when done."""

    def __init__(self, rpc_url: str, timeout: float = 10.0) -> None:
        super().__init__(rpc_url, timeout)
        # Serializes nonce selection -> send per sender within this process, so a burst
        # of sends from threads does not race for the same pending nonce.
        self._send_locks: dict[str, threading.Lock] = {}
        self._send_locks_guard = threading.Lock()
        #: sleep between nonce-error retries (the reference SDK uses 1 s; devnet mines at once)
        self.retry_delay = 0.05 if is_local(rpc_url) else 1.0

    def send_raw(self, raw: Any) -> str:
        """``eth_sendRawTransaction``; returns the 0x-prefixed hash."""
        result = self.rpc("eth_sendRawTransaction", [data_hex(raw)])
        text = str(result)
        return text if text.startswith("0x") else "0x" + text

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
        sender = check_address(signer.address, "sender")
        to = check_address(tx_fields["to"], "recipient") if tx_fields.get("to") else None
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
            calls.append(("eth_estimateGas", [rpc_tx(call_tx)]))
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
        sender = check_address(from_addr, "sender")
        if token:
            self._require_tokens(token, sender, int(units))
            tx = {"from": sender, "to": token, "value": 0, "data": encode_transfer(to, units)}
        else:
            tx = {"from": sender, "to": check_address(to, "recipient"), "value": int(wei)}
        _nonce, limit, price, gas = self._prepare(sender, tx, {}, gas_margin, True, "transfer")
        return FeeEstimate(gas, price, gas * price, limit, limit * price)

    def _require_tokens(self, token: str, sender: str, units: int) -> None:
        have = self.token_balance(token, sender)
        if have < units:
            symbol, decimals = self._token_meta(token)
            raise InsufficientFunds(
                f"You have {_fmt(have, decimals, symbol)}; this transfer needs {_fmt(units, decimals, symbol)}."
            )
