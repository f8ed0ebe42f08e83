"""The devnet keeper runs a registered workflow on its own (a real devnet process).

The schedule itself (grid, end time, cancel, missed runs) is checked against the keeper's
clock in tests/devnet/test_scheduler_clock.py; here only: it runs, unattended.
"""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.e2e


def test_scheduler_runs_a_workflow_on_its_own(wf, ohlc_query):
    address = wf.alpha.new_workflow(wf.account, wf.model_cid, ohlc_query, "open_high_low_close")
    end_time = int(time.time()) + 600
    wf.alpha.register_task(wf.account, address, end_time, 1)
    try:
        sched = wf.alpha.get_schedule(address)
        assert sched.frequency == 1 and sched.end_time == end_time and sched.owner == wf.account.address
        info = wf.alpha.workflow_info(address)
        assert info.schedule == sched and info.next_run is not None
        deadline = time.monotonic() + 120  # generous: the keeper shares the machine with everything else
        while wf.alpha.workflow_info(address).result_count < 2:
            assert time.monotonic() < deadline, "the keeper did not run the workflow twice in 120 s"
            time.sleep(0.2)
        times = wf.alpha.run_times(address, 100)
        assert len(times) >= 2 and times == sorted(times, reverse=True)  # most recent first
        assert all(t >= sched.registered_at + 1 for t in times), (times, sched)  # never before its first due time
        assert wf.alpha.keeper_stats(since=sched.registered_at).runs >= 2
    finally:
        wf.alpha.cancel_schedule(wf.account, address)
    assert wf.alpha.get_schedule(address).next_run() is None
    # the seeded public workflows are scheduled too
    seeded = wf.alpha.get_schedule("0xb4146E095c2CD2a7aA497EdfB513F1cB868Dcc3D")
    assert seeded is not None and seeded.active()


def test_scheduler_rejects_bad_registrations_on_chain(wf, ohlc_query):
    """Raw registerTask transactions (bypassing the client's checks) revert with a reason."""
    from eth_abi import encode

    from og_tui.core.alpha import SEL_REGISTER
    from og_tui.core.errors import TxReverted

    address = wf.alpha.new_workflow(wf.account, wf.model_cid, ohlc_query, "open_high_low_close")
    for args, reason in [
        ((address, int(time.time()) + 100, 0), "frequency must be a positive"),
        ((address, 1000, 5), "not in the future"),
        ((wf.account.address, int(time.time()) + 100, 5), "is not a contract"),
    ]:
        data = "0x" + SEL_REGISTER + encode(["address", "uint256", "uint256"], list(args)).hex()
        with pytest.raises(TxReverted, match=reason):
            wf.chain.send(wf.account, {"to": wf.alpha.scheduler_address, "data": data})
    assert wf.alpha.get_schedule(address) is None
