"""Per-key budgets on top of the global spend caps, checked before a payment is signed.

:class:`GatewayCaps` is what the gateway's LLMClient gets as its ``caps``: the x402 auth
calls ``reserve(amount)`` with the price from the server's 402 *before* signing, and
``release(amount)`` when a signed payment was not taken. The key a request is paid for is
bound to the worker thread that runs it (:meth:`GatewayCaps.bound`), so one LLMClient
serves every key at once.

    caps = GatewayCaps(book, SpendCaps.from_settings(settings))
    with caps.bound(key):
        client.chat(...)          # over the key's budget: KeyBudgetExceeded, nothing signed
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import Any, Dict, Iterator, Optional

from og_tui.core.x402_common import SpendCapReached, SpendCaps
from og_tui.serve.keys import GatewayKey, KeyBook, day_start

__all__ = ["GatewayCaps", "KeyBudgetExceeded", "Reservation"]


class KeyBudgetExceeded(SpendCapReached):
    """A payment over one of the key's budgets; nothing was signed. ``kind`` is
    ``key_request``, ``key_day`` or ``key_total``."""

    default_hint = "Raise the key's budget (og-tui gateway keys new ... with larger budgets) or wait for the next day."


class GatewayCaps:
    """Global caps plus the budget of the key bound to the current thread (thread-safe)."""

    def __init__(
        self, book: KeyBook, caps: Optional[SpendCaps] = None, *, decimals: int = 6, symbol: str = "OUSDC"
    ) -> None:
        self.book = book
        self.caps = caps
        self.decimals = caps.decimals if caps is not None else decimals
        self.symbol = caps.symbol if caps is not None else symbol
        self._local = threading.local()
        self._lock = threading.Lock()
        self._in_flight: Dict[int, int] = {}

    def fmt(self, units: Any) -> str:
        from og_tui.core.amounts import format_amount

        return f"{format_amount(int(units), self.decimals)} {self.symbol}"

    @contextmanager
    def bound(self, key: GatewayKey) -> Iterator["Reservation"]:
        """Payments made by this thread inside the block are charged to ``key``. The
        :class:`Reservation` yielded keeps what the payments reserved counted against the
        key until :meth:`Reservation.done` (call it once the request's cost is recorded)."""
        reservation = Reservation(self, key)
        previous = getattr(self._local, "reservation", None)
        self._local.reservation = reservation
        try:
            yield reservation
        finally:
            self._local.reservation = previous

    def in_flight(self, key_id: int) -> int:
        with self._lock:
            return self._in_flight.get(key_id, 0)

    def _unreserve(self, key_id: int, amount: int) -> None:
        if amount:
            with self._lock:
                left = self._in_flight.get(key_id, 0) - amount
                if left > 0:
                    self._in_flight[key_id] = left
                else:
                    self._in_flight.pop(key_id, None)

    def _refuse(
        self, key: GatewayKey, message: str, *, amount: int, cap: int, spent: int, kind: str
    ) -> KeyBudgetExceeded:
        return KeyBudgetExceeded(
            f"Budget of API key {key.prefix}... ({key.name}): {message} Nothing was signed.",
            amount=amount,
            cap=cap,
            spent=spent,
            kind=kind,
        )

    def check_key(self, key: GatewayKey, amount: int, *, in_flight: int = 0) -> None:
        """Raise KeyBudgetExceeded when ``amount`` more would pass one of ``key``'s budgets."""
        if key.per_request is not None and amount > key.per_request:
            raise self._refuse(
                key,
                f"this request costs {self.fmt(amount)}, over its per-request budget of "
                f"{self.fmt(key.per_request)} (ask for fewer max_tokens).",
                amount=amount,
                cap=key.per_request,
                spent=0,
                kind="key_request",
            )
        if key.per_day is not None:
            today = self.book.spent(key.id, since=day_start()) + in_flight
            if today + amount > key.per_day:
                raise self._refuse(
                    key,
                    f"{self.fmt(today)} spent today (UTC); this request ({self.fmt(amount)}) would "
                    f"pass its daily budget of {self.fmt(key.per_day)}.",
                    amount=amount,
                    cap=key.per_day,
                    spent=today,
                    kind="key_day",
                )
        if key.total is not None:
            spent = self.book.spent(key.id) + in_flight
            if spent + amount > key.total:
                raise self._refuse(
                    key,
                    f"{self.fmt(spent)} spent in all; this request ({self.fmt(amount)}) would pass "
                    f"its total budget of {self.fmt(key.total)}.",
                    amount=amount,
                    cap=key.total,
                    spent=spent,
                    kind="key_total",
                )

    # -- the SpendCaps interface X402PaymentAuth uses -------------------------------------
    def _current(self) -> Optional["Reservation"]:
        return getattr(self._local, "reservation", None)

    def check(self, amount: int) -> None:
        res = self._current()
        if res is not None:
            self.check_key(res.key, amount, in_flight=self.in_flight(res.key.id))
        if self.caps is not None:
            self.caps.check(amount)

    def reserve(self, amount: int) -> None:
        res = self._current()
        if res is None:
            raise KeyBudgetExceeded(
                "A gateway payment was asked for outside a keyed request. Nothing was signed.",
                amount=amount,
                cap=0,
                spent=0,
                kind="key_request",
            )
        amount = int(amount)
        with self._lock:  # one key's concurrent requests cannot overshoot its budget together
            self.check_key(res.key, amount, in_flight=self._in_flight.get(res.key.id, 0))
            if self.caps is not None:
                self.caps.reserve(amount)  # the global caps (raises SpendCapReached)
            self._in_flight[res.key.id] = self._in_flight.get(res.key.id, 0) + amount
            res.amount += amount

    def release(self, amount: int) -> None:
        amount = int(amount)
        if self.caps is not None:
            self.caps.release(amount)
        res = self._current()
        if res is not None:
            take = min(amount, res.amount)
            res.amount -= take
            self._unreserve(res.key.id, take)

    @property
    def spent(self) -> int:
        return self.caps.spent if self.caps is not None else 0

    @property
    def started(self) -> float:
        return self.caps.started if self.caps is not None else time.time()


class Reservation:
    """What one request's payments reserved against its key (see :meth:`GatewayCaps.bound`)."""

    def __init__(self, caps: GatewayCaps, key: GatewayKey) -> None:
        self.caps = caps
        self.key = key
        self.amount = 0

    def done(self) -> None:
        """The request's cost is in the ledger now: stop counting the reservation."""
        amount, self.amount = self.amount, 0
        self.caps._unreserve(self.key.id, amount)
