"""The batch queue of the devnet's x402 payments (``settle-batch``; v2 ``batch``): queued
payments are settled together in one registry transaction when the first of them is due (the
batch interval, or earlier when an authorization would expire), by a background loop; at
start-up the unfinished records of the previous run are recovered. Mixed into
:class:`og_tui.devnet.llm.payments.PaymentService`, whose state (store, queue, lock, registry,
facilitator) it uses.
"""

from __future__ import annotations

import logging
import time
from typing import Optional

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode

from og_tui.devnet.llm.registry import SIG_SETTLE_BATCH, TOPIC_BATCH_ITEM
from og_tui.devnet.llm.settlement_store import Settlement
from og_tui.devnet.native import selector

log = logging.getLogger("og_tui.devnet.llm.payments")

ZERO_HASH = "0x" + "00" * 32
MAX_BATCH = 150  # payments per settleBatch transaction (~180k gas each)


def _b32(hexstr: str) -> bytes:
    return bytes.fromhex(hexstr[2:] if hexstr.startswith("0x") else hexstr).rjust(32, b"\0")


class BatchQueue:
    def _enqueue(self, st: Settlement) -> None:
        due = min(time.time() + self.batch_seconds, st.valid_before - self.margin_seconds / 2)
        with self._lock:
            self._queue.append(st)
            self._due = due if self._due is None else min(self._due, due)
        self._wake.set()

    def _batch_outcomes(self, receipt: dict) -> dict[str, bool]:
        out = {}
        for entry in receipt.get("logs", []):
            topics = entry.get("topics") or []
            if len(topics) >= 3 and int(topics[0], 16) == TOPIC_BATCH_ITEM:
                _payer, _value, ok = abi_decode(["address", "uint256", "bool"], bytes.fromhex(entry["data"][2:]))
                out[topics[2].lower()] = bool(ok)
        return out

    def flush(self) -> Optional[str]:
        """Settle everything queued now in one transaction; returns its hash (None if nothing queued)."""
        with self._lock:
            # one batch stays well inside the block gas limit; the rest goes in the next one, at once
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            self._due = time.time() if self._queue else None
        if not batch:
            return None
        data = selector(SIG_SETTLE_BATCH) + abi_encode(
            ["bytes[]", "bytes32[]", "bytes32[]", "bytes32[]"],
            [
                [q.transfer_call for q in batch],
                [_b32(q.processing_hash) for q in batch],
                [_b32(q.input_hash or ZERO_HASH) for q in batch],
                [_b32(q.output_hash or ZERO_HASH) for q in batch],
            ],
        )
        gas = 120_000 + len(batch) * self.item_gas + 20 * len(data)

        def record_tx(tx_hash: str) -> None:
            for q in batch:
                q.transaction = tx_hash
            self.store.put_many(batch)

        try:
            tx_hash, status, receipt = self._send(data, gas, record_tx)
        except Exception:  # noqa: BLE001 - not sent: keep what can still be settled for the next batch
            log.exception("x402 batch settlement could not be sent")
            retry = []
            for q in batch:
                q.transaction = ""
                if q.valid_before > time.time() + 2:
                    retry.append(q)
                else:
                    q.status, q.error = (
                        "failed",
                        "the batch settlement could not be sent before the authorization expired",
                    )
            self.store.put_many(batch)
            retry_ids = {id(q) for q in retry}
            for q in batch:
                if id(q) in retry_ids:
                    self._enqueue(q)
                else:
                    self._unreserve(q)
            return None
        self._apply_batch_receipt(batch, tx_hash, status, receipt)
        return tx_hash

    def _apply_batch_receipt(self, batch: list[Settlement], tx_hash: str, status: int, receipt: dict) -> None:
        outcomes = self._batch_outcomes(receipt) if status == 1 else {}
        for q in batch:
            q.transaction = tx_hash
            q.block = int(receipt["blockNumber"], 16)
            if outcomes.get(q.processing_hash.lower()):
                q.status, q.error = "settled", ""
            else:
                self._failed(q, "the authorization could not be settled in the batch", served=True)
        self.store.put_many(batch)
        for q in batch:
            self._unreserve(q)

    def _batch_loop(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                due = self._due
            if due is None:
                self._wake.wait()
                self._wake.clear()
                continue
            delay = due - time.time()
            if delay > 0:
                self._wake.wait(delay)  # woken early when a sooner deadline arrives
                self._wake.clear()
                continue
            try:
                self.flush()
            except Exception:  # noqa: BLE001
                log.exception("x402 batch loop")

    # -- start-up ---------------------------------------------------------------------------------
    def _recover(self) -> None:
        """Finish what a previous run left open: payments whose transaction was sent are read
        from their receipt; payments whose reply was released are reserved again and queued
        for the first batch (if their authorization is still valid); payments whose reply
        never left are dropped (nothing was served, nothing is charged)."""
        items = self.store.open_items()
        if not items:
            return
        now = time.time()
        done, queue = [], []
        for st in items:
            receipt = self._receipt(st.transaction) if st.transaction else None
            if receipt is not None:
                status = int(receipt["status"], 16)
                if st.status == "queued":
                    ok = status == 1 and self._batch_outcomes(receipt).get(st.processing_hash.lower(), False)
                else:
                    ok = status == 1
                st.block = int(receipt["blockNumber"], 16)
                if ok:
                    st.status, st.error = "settled", ""
                else:
                    self._failed(st, "the settlement transaction failed", served=st.released)
                done.append(st)
                continue
            st.transaction = ""
            if not st.released:
                st.status, st.error = "failed", "the devnet stopped before this reply was served; nothing was charged"
            elif st.valid_before <= now + 2:
                st.status, st.error = "failed", "the authorization expired while the devnet was down"
            else:
                st.status = "queued"
                queue.append(st)
            done.append(st)
        self.store.put_many(done)
        with self._lock:
            for st in queue:
                self._inflight.add((st.payer.lower(), _b32(st.nonce)))
                self._reserved[st.payer.lower()] = self._reserved.get(st.payer.lower(), 0) + st.value
                self._queue.append(st)
            if queue:
                self._due = now  # settle them at once
        if queue:
            log.info("x402: %d payment(s) from the previous run queued for settlement", len(queue))
