"""The devnet keeper against its own clock: a task registered on chain runs on its grid,
never more often, stops at its end time or when cancelled, and does not replay missed runs.

In-process node, real signed transactions; the keeper thread is not started: the test sets
the keeper's clock and calls ``step()``, so no assertion depends on wall-clock timing.
"""

from __future__ import annotations

import time

import pytest
from eth_abi import encode

from og_tui.core import constants
from og_tui.devnet import scheduler
from og_tui.devnet.node import DevnetNode

from .helpers import deploy_code

# runtime: sstore(0, sload(0) + 1) on any call: counts the keeper's run() calls
COUNTER = bytes.fromhex("60005460010160005500")
SCHEDULER = bytes.fromhex(constants.SCHEDULER_ADDRESS[2:])


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    node = DevnetNode(tmp_path_factory.mktemp("scheduler") / "chain")
    clock = Clock()
    keeper = scheduler.install(node, start=False, clock=clock)
    keeper.fund()
    keeper.tick = 3600.0  # step() then reports the wait until the next due run
    yield node, keeper, clock
    keeper.stop()
    node.close()


def rpc(node, method, *params):
    answer = node.rpc.handle({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
    assert "error" not in answer, answer
    return answer["result"]


def send(node, tx: dict) -> dict:
    raw = node.sign_transaction(node.dev_accounts[3].private_key, tx)
    receipt = rpc(node, "eth_getTransactionReceipt", rpc(node, "eth_sendRawTransaction", "0x" + raw.hex()))
    assert receipt["status"] == "0x1", receipt
    return receipt


def new_counter(node) -> bytes:
    receipt = send(node, {"data": deploy_code(COUNTER), "gas": 200_000})
    return bytes.fromhex(receipt["contractAddress"][2:])


def runs(node, contract: bytes) -> int:
    return int(rpc(node, "eth_getStorageAt", "0x" + contract.hex(), "0x0", "latest"), 16)


def register(node, keeper, contract: bytes, lifetime: int, frequency: int) -> tuple[int, int]:
    """registerTask on chain; returns (registeredAt, endTime) as the contract stored them."""
    end_time = int(time.time()) + lifetime
    data = scheduler.SEL_REGISTER + encode(["address", "uint256", "uint256"], [contract, end_time, frequency])
    send(node, {"to": SCHEDULER, "data": data, "gas": 300_000})
    keeper.reload()
    task = keeper.tasks[contract]
    assert (task.end_time, task.frequency) == (end_time, frequency)
    return task.registered_at, end_time


def test_runs_on_the_grid_until_the_end_time(env):
    node, keeper, clock = env
    counter = new_counter(node)
    clock.now = time.time()
    start, end = register(node, keeper, counter, lifetime=35, frequency=10)
    grid = [start + 10 * k for k in range(1, 10) if start + 10 * k < end]
    assert len(grid) == 3
    clock.now = start + 5
    assert keeper.step() == pytest.approx(5)  # nothing due yet: the next check is at the first run
    assert runs(node, counter) == 0
    for n, due in enumerate(grid, start=1):
        clock.now = due - 0.01
        keeper.step()
        assert runs(node, counter) == n - 1  # not before its time
        clock.now = due
        keeper.step()
        keeper.step()
        assert runs(node, counter) == n  # once per grid point, never more often
        assert keeper.tasks[counter].next_due == due + 10
    for later in (end, end + 10, end + 3600):
        clock.now = later
        keeper.step()
    assert runs(node, counter) == 3  # stopped at the end time
    runs_, failures, p50, p95, worst, _active = keeper.stats(since=start)
    assert (runs_, failures, p50, p95, worst) == (3, 0, 0, 0, 0)  # every run exactly on its grid point


def test_cancel_stops_the_runs(env):
    node, keeper, clock = env
    counter = new_counter(node)
    clock.now = time.time()
    start, _end = register(node, keeper, counter, lifetime=3600, frequency=10)
    clock.now = start + 10
    keeper.step()
    assert runs(node, counter) == 1
    send(node, {"to": SCHEDULER, "data": scheduler.SEL_CANCEL + encode(["address"], [counter]), "gas": 100_000})
    for later in (start + 20, start + 30, start + 600):
        clock.now = later
        keeper.step()
    assert runs(node, counter) == 1


def test_missed_runs_are_not_replayed(env):
    """A pause of many periods (devnet stopped) costs one late run, then the grid resumes."""
    node, keeper, clock = env
    counter = new_counter(node)
    clock.now = time.time()
    start, _end = register(node, keeper, counter, lifetime=3600, frequency=10)
    clock.now = start + 10
    keeper.step()
    assert runs(node, counter) == 1
    clock.now = start + 73  # the runs due at +20 … +70 were missed
    for _ in range(5):
        keeper.step()
    # the overdue +20 run once, then the grid point passed 3 s ago (+70); not six runs in a burst
    assert runs(node, counter) == 3
    assert keeper.tasks[counter].next_due == start + 80
