"""Per-key budgets on top of the global spend caps, checked before a payment is signed.

:class:`GatewayCaps` is what the gateway's LLMClient gets as its ``caps``: the x402 auth
calls ``reserve(amount)`` with the price from the server's 402 *before* signing, and
``release(amount)`` when a signed payment was not taken. The key a request is paid for is
bound to the worker thread that runs it (:meth:`GatewayCaps.bound`), so one LLMClient
serves every key at once. :class:`GatewayOpgCaps` is its ``opg_caps``: the same for x402 v2
payments, in OPG, against the key's OPG budgets and the global OPG caps, bound by the same
:meth:`GatewayCaps.bound`. A key with budgets in one token only may not pay in the other.

    caps = GatewayCaps(book, SpendCaps.from_settings(settings))
    opg = GatewayOpgCaps(caps, opg_caps(settings))
    with caps.bound(key):
        client.chat(...)          # over the key's budget: KeyBudgetExceeded, nothing signed
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import Any, Dict, Iterator, Optional

from og_tui.core import constants
from og_tui.core.x402_common import SpendCapReached, SpendCaps
from og_tui.serve.keys import GatewayKey, KeyBook, day_start

__all__ = ["GatewayCaps", "GatewayOpgCaps", "KeyBudgetExceeded", "Reservation"]


class KeyBudgetExceeded(SpendCapReached):
    """A payment over one of the key's budgets; nothing was signed. ``kind`` is
    ``key_request``, ``key_day``, ``key_total`` or ``key_missing`` (the key has OPG budgets
    only) in the payment token, ``key_opg_request``, ``key_opg_day``, ``key_opg_total`` or
    ``key_opg_missing`` (payment-token budgets only) in OPG."""

    default_hint = "Raise the key's budget (og-tui gateway keys new ... with larger budgets) or wait for the next day."


class _KeyCaps:
    """Global caps plus the budgets of the key bound to the current thread, in one token
    (thread-safe). The token's budget fields of a key are named by ``_FIELDS``; its
    in-flight amount lives on the :class:`Reservation` as ``_RES_ATTR``."""

    _FIELDS = ("per_request", "per_day", "total")
    _OTHER_FIELDS = ("opg_per_request", "opg_per_day", "opg_total")
    _RES_ATTR = "amount"
    _KIND = "key"

    def __init__(self, book: KeyBook, caps: Optional[SpendCaps], decimals: int, symbol: str) -> None:
        self.book = book
        self.caps = caps
        self.decimals = caps.decimals if caps is not None else decimals
        self.symbol = caps.symbol if caps is not None else symbol
        self._lock = threading.Lock()
        self._in_flight: Dict[int, int] = {}

    def fmt(self, units: Any) -> str:
        from og_tui.core.amounts import format_amount

        return f"{format_amount(int(units), self.decimals)} {self.symbol}"

    def _current(self) -> Optional["Reservation"]:
        raise NotImplementedError

    def _missing_hint(self) -> str:
        raise NotImplementedError

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

    def spent_of(self, key_id: int, since: Optional[float] = None) -> int:
        """What the key's recorded requests cost in this token."""
        return self.book.spent(key_id, since=since, token=self.symbol)

    def check_key(self, key: GatewayKey, amount: int, *, in_flight: int = 0) -> None:
        """Raise KeyBudgetExceeded when ``amount`` more would pass one of ``key``'s budgets
        in this token, or when the key has budgets in the other token only (fail-safe: a
        budget set in one token never lets the other spend unbounded)."""
        per_request, per_day, total = (getattr(key, f) for f in self._FIELDS)
        kind = self._KIND
        if per_request is None and per_day is None and total is None:
            if any(getattr(key, f) is not None for f in self._OTHER_FIELDS):
                raise self._refuse(
                    key,
                    f"it has no budget in {self.symbol}, only in {self._other_symbol()}, so it may not pay "
                    f"{self.fmt(amount)}. {self._missing_hint()}",
                    amount=amount,
                    cap=0,
                    spent=0,
                    kind=f"{kind}_missing",
                )
            return
        if per_request is not None and amount > per_request:
            raise self._refuse(
                key,
                f"this request costs {self.fmt(amount)}, over its per-request budget of "
                f"{self.fmt(per_request)} (ask for fewer max_tokens).",
                amount=amount,
                cap=per_request,
                spent=0,
                kind=f"{kind}_request",
            )
        if per_day is not None:
            today = self.spent_of(key.id, since=day_start()) + in_flight
            if today + amount > per_day:
                raise self._refuse(
                    key,
                    f"{self.fmt(today)} spent today (UTC); this request ({self.fmt(amount)}) would "
                    f"pass its daily budget of {self.fmt(per_day)}.",
                    amount=amount,
                    cap=per_day,
                    spent=today,
                    kind=f"{kind}_day",
                )
        if total is not None:
            spent = self.spent_of(key.id) + in_flight
            if spent + amount > total:
                raise self._refuse(
                    key,
                    f"{self.fmt(spent)} spent in all; this request ({self.fmt(amount)}) would pass "
                    f"its total budget of {self.fmt(total)}.",
                    amount=amount,
                    cap=total,
                    spent=spent,
                    kind=f"{kind}_total",
                )

    def _other_symbol(self) -> str:
        return constants.OPG_NAME

    # -- the SpendCaps interface the x402 auths use ---------------------------------------
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
                kind=f"{self._KIND}_request",
            )
        amount = int(amount)
        with self._lock:  # one key's concurrent requests cannot overshoot its budget together
            self.check_key(res.key, amount, in_flight=self._in_flight.get(res.key.id, 0))
            if self.caps is not None:
                self.caps.reserve(amount)  # the global caps (raises SpendCapReached)
            self._in_flight[res.key.id] = self._in_flight.get(res.key.id, 0) + amount
            setattr(res, self._RES_ATTR, getattr(res, self._RES_ATTR) + amount)

    def release(self, amount: int) -> None:
        amount = int(amount)
        if self.caps is not None:
            self.caps.release(amount)
        res = self._current()
        if res is not None:
            take = min(amount, getattr(res, self._RES_ATTR))
            setattr(res, self._RES_ATTR, getattr(res, self._RES_ATTR) - take)
            self._unreserve(res.key.id, take)

    @property
    def spent(self) -> int:
        return self.caps.spent if self.caps is not None else 0

    @property
    def started(self) -> float:
        return self.caps.started if self.caps is not None else time.time()


class GatewayCaps(_KeyCaps):
    """Global caps plus the payment-token budgets of the key bound to the current thread
    (thread-safe); the gateway's LLMClient's ``caps`` (x402 v1)."""

    def __init__(
        self, book: KeyBook, caps: Optional[SpendCaps] = None, *, decimals: int = 6, symbol: str = "OUSDC"
    ) -> None:
        super().__init__(book, caps, decimals, symbol)
        self._local = threading.local()
        self.opg: Optional["GatewayOpgCaps"] = None  # the OPG side, once made (GatewayOpgCaps(self, ...))

    @contextmanager
    def bound(self, key: GatewayKey) -> Iterator["Reservation"]:
        """Payments made by this thread inside the block are charged to ``key`` (in either
        token: :class:`GatewayOpgCaps` reads the same binding). The :class:`Reservation`
        yielded keeps what the payments reserved counted against the key until
        :meth:`Reservation.done` (call it once the request's cost is recorded)."""
        reservation = Reservation(self, key)
        previous = getattr(self._local, "reservation", None)
        self._local.reservation = reservation
        try:
            yield reservation
        finally:
            self._local.reservation = previous

    def _current(self) -> Optional["Reservation"]:
        return getattr(self._local, "reservation", None)

    def _missing_hint(self) -> str:
        return (
            f"Issue a key with a {self.symbol} budget too (og-tui gateway keys new NAME --total ... --opg-total ...) "
            "or pay in OPG: x402_version = 2 for the profile."
        )


class GatewayOpgCaps(_KeyCaps):
    """The global OPG caps plus the OPG budgets (``opg_per_request``, ``opg_per_day``,
    ``opg_total``) of the key bound to the current thread by ``parent``
    (:meth:`GatewayCaps.bound`); the gateway's LLMClient's ``opg_caps`` (x402 v2). A key with
    payment-token budgets but no OPG budget is refused OPG payments; a key with no budget at
    all is bounded by the global OPG caps only."""

    _FIELDS = ("opg_per_request", "opg_per_day", "opg_total")
    _OTHER_FIELDS = ("per_request", "per_day", "total")
    _RES_ATTR = "opg_amount"
    _KIND = "key_opg"

    def __init__(self, parent: GatewayCaps, caps: Optional[SpendCaps] = None) -> None:
        super().__init__(parent.book, caps, constants.OPG_DECIMALS, constants.OPG_NAME)
        self.parent = parent
        parent.opg = self

    def _current(self) -> Optional["Reservation"]:
        return self.parent._current()

    def _other_symbol(self) -> str:
        return self.parent.symbol

    def _missing_hint(self) -> str:
        return (
            "Issue a key with an OPG budget too (og-tui gateway keys new NAME ... --opg-total ...) "
            f"or pay in {self.parent.symbol}: x402_version = 1 for the profile."
        )


class Reservation:
    """What one request's payments reserved against its key (see :meth:`GatewayCaps.bound`):
    ``amount`` in the payment token, ``opg_amount`` in OPG."""

    def __init__(self, caps: GatewayCaps, key: GatewayKey) -> None:
        self.caps = caps
        self.key = key
        self.amount = 0
        self.opg_amount = 0

    def done(self) -> None:
        """The request's cost is in the ledger now: stop counting the reservation."""
        amount, self.amount = self.amount, 0
        self.caps._unreserve(self.key.id, amount)
        opg_amount, self.opg_amount = self.opg_amount, 0
        if self.caps.opg is not None:
            self.caps.opg._unreserve(self.key.id, opg_amount)
