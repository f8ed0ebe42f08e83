"""The WorkflowScheduler system contract and its keeper thread.

Contract (native, at ``constants.SCHEDULER_ADDRESS``):

- ``registerTask(address contractAddress, uint256 endTime, uint256 frequency)``: run
  ``contractAddress.run()`` every ``frequency`` seconds from now until ``endTime``.
  Reverts for a zero frequency, an end time not in the future, an address without
  code, or a task owned by someone else that is still active. Registering again
  (owner) replaces the schedule. Emits ``TaskRegistered``.
- ``cancelTask(address)`` (owner): ends the schedule now. Emits ``TaskCancelled``.
- views ``getTask(address) -> (owner, endTime, frequency, registeredAt)`` (zeros when
  unknown), ``taskCount()``, ``taskAt(uint256) -> (contract, owner, endTime, frequency,
  registeredAt)``, ``keeperStats(uint256 since) -> (runs, failures, drift p50 us,
  drift p95 us, drift max us, active tasks)``.

Tasks live in the contract's EVM storage (persisted, reverted with failed calls). The
:class:`Keeper` thread of the devnet process keeps them on time: run ``k`` of a task is
due at ``registeredAt + k * frequency`` (a fixed grid, so delays never accumulate); it
sends a real transaction from the devnet keeper account calling ``run()`` with fixed
gas, holding the node lock for that one transaction only. Runs missed while the devnet
was down are skipped, not replayed in a burst.

The keeper reads the time from ``Keeper.clock`` (``time.time`` unless one is given), and
one pass of its loop is :meth:`Keeper.step`: a test drives the schedule by setting the
clock and calling ``step()`` on a keeper that was not started, without waiting.

Settings (environment): ``OG_TUI_DEVNET_SCHEDULER_TICK`` (longest sleep between checks,
seconds, default 0.5), ``OG_TUI_DEVNET_KEEPER_GAS`` (gas per run, default 8,000,000).
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Optional

from eth_abi import encode as abi_encode
from eth_utils import keccak, to_canonical_address, to_checksum_address

from og_tui.core import constants
from og_tui.devnet.native import NativeCall, selector, topic

log = logging.getLogger(__name__)

__all__ = ["Scheduler", "Keeper", "install", "keeper_key", "task_slots", "TICK_ENV", "KEEPER_GAS_ENV"]

TICK_ENV = "OG_TUI_DEVNET_SCHEDULER_TICK"
KEEPER_GAS_ENV = "OG_TUI_DEVNET_KEEPER_GAS"
DEFAULT_TICK = 0.5
DEFAULT_KEEPER_GAS = 8_000_000
KEEPER_FUNDS = 1_000_000 * 10**18
KEEPER_MIN_BALANCE = 1_000 * 10**18

SEL_REGISTER = selector("registerTask(address,uint256,uint256)")
SEL_CANCEL = selector("cancelTask(address)")
SEL_GET = selector("getTask(address)")
SEL_COUNT = selector("taskCount()")
SEL_AT = selector("taskAt(uint256)")
SEL_STATS = selector("keeperStats(uint256)")
SEL_RUN = selector("run()")
assert SEL_REGISTER.hex() == "31a7e88c"

TOPIC_REGISTERED = topic("TaskRegistered(address,address,uint256,uint256)")
TOPIC_CANCELLED = topic("TaskCancelled(address)")

COUNT_SLOT = int.from_bytes(keccak(b"og.scheduler.count"), "big")


def _int(b: bytes) -> int:
    return int.from_bytes(b, "big")


def task_slots(index: int) -> int:
    """Base slot of task ``index``: +0 contract, +1 owner, +2 endTime, +3 frequency, +4 registeredAt."""
    return _int(keccak(b"og.scheduler.task" + index.to_bytes(32, "big")))


def index_slot(contract: bytes) -> int:
    return _int(keccak(b"og.scheduler.index" + contract.rjust(32, b"\x00")))


def keeper_key(faucet_key: bytes) -> bytes:
    """The keeper account's key, derived from the node's (private, per data dir) faucet key."""
    return keccak(b"og-tui devnet keeper" + bytes(faucet_key))


@dataclass
class Task:
    contract: bytes
    owner: bytes
    end_time: int
    frequency: int
    registered_at: int
    next_due: float = 0.0
    failures_in_a_row: int = 0


def first_due(registered_at: int, frequency: int, now: float) -> float:
    """The grid point ``registered_at + k*frequency`` (k >= 1) to run next at ``now``.

    A grid point passed only moments ago (within half a period, at most 5 s) still
    counts: it runs at once. Older ones were missed (devnet down) and are skipped.
    """
    k = int((now - registered_at) // frequency)
    if k < 1:
        return float(registered_at + frequency)
    last = registered_at + k * frequency
    if now - last <= min(frequency / 2.0, 5.0):
        return float(last)
    return float(last + frequency)


class Scheduler:
    """The native contract. ``keeper`` (optional) is woken when tasks change."""

    def __init__(self, keeper: Optional["Keeper"] = None) -> None:
        self.keeper = keeper

    def __call__(self, call: NativeCall) -> bytes:
        sel = call.selector
        if sel == SEL_REGISTER:
            return self._register(call)
        if sel == SEL_CANCEL:
            return self._cancel(call)
        if sel == SEL_GET:
            (contract,) = call.decode(["address"])
            c = to_canonical_address(contract)
            idx = call.sload(index_slot(c))
            if idx == 0:
                return abi_encode(["address", "uint256", "uint256", "uint256"], [b"\x00" * 20, 0, 0, 0])
            base = task_slots(idx - 1)
            owner = call.sload(base + 1).to_bytes(32, "big")[12:]
            return abi_encode(
                ["address", "uint256", "uint256", "uint256"],
                [owner, call.sload(base + 2), call.sload(base + 3), call.sload(base + 4)],
            )
        if sel == SEL_COUNT:
            return abi_encode(["uint256"], [call.sload(COUNT_SLOT)])
        if sel == SEL_AT:
            (i,) = call.decode(["uint256"])
            if i >= call.sload(COUNT_SLOT):
                call.revert("scheduler: task index out of range")
            base = task_slots(i)
            vals = [call.sload(base + k) for k in range(5)]
            return abi_encode(
                ["address", "address", "uint256", "uint256", "uint256"],
                [vals[0].to_bytes(32, "big")[12:], vals[1].to_bytes(32, "big")[12:], vals[2], vals[3], vals[4]],
            )
        if sel == SEL_STATS:
            (since,) = call.decode(["uint256"])
            call.use_gas(1_000, "keeper stats")
            stats = self.keeper.stats(since) if self.keeper is not None else (0, 0, 0, 0, 0, 0)
            return abi_encode(["uint256"] * 6, list(stats))
        call.use_gas(1_000, "scheduler: unknown function")
        call.revert("scheduler: unknown function")
        return b""

    def _register(self, call: NativeCall) -> bytes:
        contract, end_time, frequency = call.decode(["address", "uint256", "uint256"])
        c = to_canonical_address(contract)
        now = call.timestamp
        if frequency == 0:
            call.revert("scheduler: frequency must be a positive number of seconds")
        if end_time <= now:
            call.revert(f"scheduler: end time {end_time} is not in the future (block time {now})")
        call.use_gas(2_600, "scheduler: code check")
        if not call.computation.state.get_code(c):
            call.revert(f"scheduler: {to_checksum_address(c)} is not a contract")
        idx = call.sload(index_slot(c))
        if idx == 0:
            count = call.sload(COUNT_SLOT)
            call.sstore(COUNT_SLOT, count + 1)
            call.sstore(index_slot(c), count + 1)
            base = task_slots(count)
            call.sstore(base, _int(c))
        else:
            base = task_slots(idx - 1)
            owner = call.sload(base + 1)
            old_end = call.sload(base + 2)
            if owner != _int(call.sender) and old_end > now:
                call.revert(
                    f"scheduler: {to_checksum_address(c)} is already scheduled by "
                    f"{to_checksum_address(owner.to_bytes(32, 'big')[12:])} until {old_end}"
                )
        call.sstore(base + 1, _int(call.sender))
        call.sstore(base + 2, end_time)
        call.sstore(base + 3, frequency)
        call.sstore(base + 4, now)
        call.emit(
            [TOPIC_REGISTERED, _int(c), _int(call.sender)], abi_encode(["uint256", "uint256"], [end_time, frequency])
        )
        self._changed(call)
        return b""

    def _cancel(self, call: NativeCall) -> bytes:
        (contract,) = call.decode(["address"])
        c = to_canonical_address(contract)
        idx = call.sload(index_slot(c))
        if idx == 0:
            call.revert(f"scheduler: {to_checksum_address(c)} is not scheduled")
        base = task_slots(idx - 1)
        if call.sload(base + 1) != _int(call.sender):
            call.revert("scheduler: only the owner of a task can cancel it")
        call.sstore(base + 2, call.timestamp)
        call.emit([TOPIC_CANCELLED, _int(c)], b"")
        self._changed(call)
        return b""

    def _changed(self, call: NativeCall) -> None:
        if self.keeper is not None and not call.is_static:
            self.keeper.mark_dirty()


class Keeper:
    """Background thread running due workflows (one real transaction per run)."""

    def __init__(
        self,
        node: Any,
        tick: Optional[float] = None,
        gas: Optional[int] = None,
        clock: Optional[Callable[[], float]] = None,
    ) -> None:
        self.node = node
        self.clock: Callable[[], float] = clock or time.time  # seconds since the epoch, as block times
        self.address = to_canonical_address(constants.SCHEDULER_ADDRESS)
        self.tick = float(os.environ.get(TICK_ENV) or DEFAULT_TICK) if tick is None else float(tick)
        self.gas = int(os.environ.get(KEEPER_GAS_ENV) or DEFAULT_KEEPER_GAS) if gas is None else int(gas)
        self.gas = min(self.gas, node.config.block_gas_limit)
        self.key = keeper_key(node.chain.faucet_key)
        from eth_keys import KeyAPI

        self.account = KeyAPI().PrivateKey(self.key).public_key.to_canonical_address()
        self.tasks: dict[bytes, Task] = {}
        self._dirty = True
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._log: deque = deque(maxlen=50_000)  # (due, drift_s, ok)
        self._stats_lock = threading.Lock()
        self.runs = 0
        self.failures = 0

    @property
    def keeper_address(self) -> str:
        return to_checksum_address(self.account)

    # -- life cycle ---------------------------------------------------------------------------
    def fund(self) -> None:
        """Give the keeper gas money from the faucet account (when it runs low)."""
        node = self.node
        with node.lock:
            if node.chain.get_balance(self.account) >= KEEPER_MIN_BALANCE:
                return
            raw = node.sign_transaction(
                node.chain.faucet_key, {"to": self.account, "value": KEEPER_FUNDS, "gas": 21_000}
            )
            node.send_raw(raw)

    def start(self) -> None:
        if self._thread is not None:
            return
        self.fund()
        self._thread = threading.Thread(target=self._loop, name="og-devnet-keeper", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def mark_dirty(self) -> None:
        self._dirty = True
        self._wake.set()

    # -- tasks ------------------------------------------------------------------------------------
    def reload(self) -> None:
        self._dirty = False
        node = self.node
        with node.lock:
            state = node.chain.chain.get_vm().state
            count = state.get_storage(self.address, COUNT_SLOT)
            rows = []
            for i in range(count):
                base = task_slots(i)
                rows.append([state.get_storage(self.address, base + k) for k in range(5)])
        now = self.clock()
        fresh: dict[bytes, Task] = {}
        for c, owner, end_time, frequency, registered_at in rows:
            contract = c.to_bytes(32, "big")[12:]
            if frequency == 0:
                continue
            old = self.tasks.get(contract)
            task = Task(contract, owner.to_bytes(32, "big")[12:], end_time, frequency, registered_at)
            if old is not None and old.frequency == frequency and old.registered_at == registered_at:
                task.next_due = old.next_due
                task.failures_in_a_row = old.failures_in_a_row
            else:
                task.next_due = first_due(registered_at, frequency, now)
            fresh[contract] = task
        self.tasks = fresh

    def step(self) -> float:
        """One pass: run every task due at ``clock()``; returns the seconds until the next check."""
        if self._dirty:
            self.reload()
        now = self.clock()
        due = sorted(
            (t for t in self.tasks.values() if t.next_due <= now and t.next_due < t.end_time), key=lambda t: t.next_due
        )
        for task in due:
            if self._stop.is_set():
                return 0.0
            self._run(task)
        pending = [t.next_due for t in self.tasks.values() if t.next_due < t.end_time]
        wait = self.tick
        if pending:
            wait = max(0.0, min(wait, min(pending) - self.clock()))
        return wait

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                wait = self.step()
            except Exception:  # noqa: BLE001 - the keeper must survive anything
                log.exception("keeper loop failed")
                wait = self.tick
            if wait > 0:
                self._wake.wait(wait)
            self._wake.clear()

    def _run(self, task: Task) -> None:
        node = self.node
        started = self.clock()
        drift = started - task.next_due
        ok = False
        try:
            with node.lock:
                raw = node.sign_transaction(self.key, {"to": task.contract, "data": SEL_RUN, "gas": self.gas})
                tx_hash = node.send_raw(raw)
                found = node.chain.find_transaction(tx_hash)
                if found is not None:
                    block, _tx, index = found
                    ok = node.chain.receipts(block)[index].state_root == b"\x01"
        except Exception as exc:  # noqa: BLE001
            log.warning("keeper: run of %s failed to send: %s", to_checksum_address(task.contract), exc)
        with self._stats_lock:
            self.runs += 1
            if not ok:
                self.failures += 1
            self._log.append((task.next_due, drift, ok))
        task.failures_in_a_row = 0 if ok else task.failures_in_a_row + 1
        if not ok and task.failures_in_a_row in (1, 10, 100):
            log.warning(
                "keeper: run of %s reverted (%d in a row)", to_checksum_address(task.contract), task.failures_in_a_row
            )
        nxt = task.next_due + task.frequency
        now = self.clock()
        if nxt < now - task.frequency:  # far behind (devnet was paused): skip to the grid point ahead
            nxt = first_due(task.registered_at, task.frequency, now)
        task.next_due = nxt

    # -- stats --------------------------------------------------------------------------------------
    def stats(self, since: int = 0) -> tuple[int, int, int, int, int, int]:
        with self._stats_lock:
            rows = [r for r in self._log if r[0] >= since]
        drifts = sorted(max(0.0, r[1]) for r in rows)
        fails = sum(1 for r in rows if not r[2])

        def pct(p: float) -> int:
            if not drifts:
                return 0
            i = min(len(drifts) - 1, max(0, math.ceil(p * len(drifts)) - 1))
            return int(drifts[i] * 1e6)

        now = self.clock()
        active = sum(1 for t in self.tasks.values() if t.end_time > now)
        return len(rows), fails, pct(0.5), pct(0.95), int(drifts[-1] * 1e6) if drifts else 0, active


def install(node: Any, start: bool = True, clock: Optional[Callable[[], float]] = None) -> Keeper:
    """Register the scheduler contract on ``node`` and start its keeper thread."""
    keeper = Keeper(node, clock=clock)
    node.register_native(constants.SCHEDULER_ADDRESS, Scheduler(keeper), name="scheduler")
    if start:
        keeper.start()
    return keeper
