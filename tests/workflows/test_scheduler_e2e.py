"""The scheduler really runs a registered workflow on time, then stops at its end time."""

from __future__ import annotations

import time

import pytest

from og_tui.core.types import SchedulerParams

pytestmark = pytest.mark.e2e


def test_scheduler_runs_until_end_time(fresh_devnet, ohlc_query):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from conftest import Env

    wf = Env(fresh_devnet)
    try:
        address = wf.alpha.new_workflow(wf.account, wf.model_cid, ohlc_query, "open_high_low_close")
        end_time = int(time.time()) + 15  # every 2 s: 7 runs when idle; at least 3 under load
        wf.alpha.register_task(wf.account, address, end_time, 2)
        sched = wf.alpha.get_schedule(address)
        assert sched.frequency == 2 and sched.end_time == end_time and sched.owner == wf.account.address
        assert sched.next_run() is not None
        info = wf.alpha.workflow_info(address)
        assert info.schedule == sched and info.next_run is not None
        deadline = time.monotonic() + 30
        while time.time() < end_time + 3 and time.monotonic() < deadline:
            time.sleep(0.5)
        count = wf.alpha.workflow_info(address).result_count
        times = wf.alpha.run_times(address, 100)
        assert count >= 3, count
        assert all(t < end_time for t in times), (times, end_time)
        gaps = [a - b for a, b in zip(times, times[1:])]
        assert all(g >= 1 for g in gaps), gaps  # never more often than scheduled (drift is benched)
        time.sleep(2.5)
        assert wf.alpha.workflow_info(address).result_count == count  # stopped after the end time
        assert wf.alpha.get_schedule(address).next_run() is None
        stats = wf.alpha.keeper_stats(since=int(time.time()) - 60)
        assert stats.runs >= count
        # the seeded public workflows are scheduled too
        seeded = wf.alpha.get_schedule("0xb4146E095c2CD2a7aA497EdfB513F1cB868Dcc3D")
        assert seeded is not None and seeded.active()
    finally:
        wf.close()


def test_scheduler_rejects_bad_registrations_on_chain(fresh_devnet, ohlc_query):
    """Raw registerTask transactions (bypassing the client's checks) revert with a reason."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from conftest import Env
    from og_tui.core.alpha import SEL_REGISTER
    from og_tui.core.errors import TxReverted
    from eth_abi import encode

    wf = Env(fresh_devnet)
    try:
        address = wf.alpha.new_workflow(wf.account, wf.model_cid, ohlc_query, "open_high_low_close")
        for args, reason in [((address, int(time.time()) + 100, 0), "frequency must be a positive"),
                             ((address, 1000, 5), "not in the future"),
                             ((wf.account.address, int(time.time()) + 100, 5), "is not a contract")]:
            data = "0x" + SEL_REGISTER + encode(["address", "uint256", "uint256"], list(args)).hex()
            with pytest.raises(TxReverted, match=reason):
                wf.chain.send(wf.account, {"to": wf.alpha.scheduler_address, "data": data})
        assert wf.alpha.get_schedule(address) is None
    finally:
        wf.close()
