"""Workflows end to end on the shared devnet: deploy from a funded wallet, run, read, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from og_tui.core.alpha import NotAWorkflow
from og_tui.core.errors import NetworkUnreachable, ValidationError
from og_tui.core.types import CandleOrder, HistoricalInputQuery, SchedulerParams
from og_tui.devnet.market import Market

pytestmark = pytest.mark.e2e


def _local_model_output(wf, cid, query, timestamp, tmp_path):
    import onnxruntime as ort

    path = wf.hub.download(cid, tmp_path / "model.onnx")
    tensor = Market().query_tensor(
        query.base,
        query.quote,
        query.total_candles,
        query.candle_duration_in_mins,
        int(query.order),
        [int(t) for t in query.candle_types],
        timestamp,
    )
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, {"open_high_low_close": tensor})))


def test_deploy_run_and_read(wf, ohlc_query, tmp_path):
    stages = []
    address = wf.alpha.new_workflow(
        wf.account, wf.model_cid, ohlc_query, "open_high_low_close", on_status=lambda s, i: stages.append(s)
    )
    assert stages[0] == "validating" and "mined" in stages and stages[-1] == "deployed"
    code = wf.chain.get_code(address)
    assert len(code) > 1000  # real bytecode, deployed by a contract-creation tx
    info = wf.alpha.workflow_info(address)
    assert info.model_id == wf.model_cid and info.input_name == "open_high_low_close"
    assert info.query.base == "ETH" and info.query.candle_types == ohlc_query.candle_types
    assert info.result_count == 0 and info.schedule is None
    empty = wf.alpha.read_workflow_result(address)
    assert empty.numbers == {}

    outs = []
    for _ in range(3):
        run = wf.alpha.run_workflow_tx(wf.account, address)
        block = wf.chain.rpc("eth_getBlockByNumber", [hex(run.tx.block), False])
        outs.append((run.output, int(block["timestamp"], 16)))
    out, ts = outs[-1]
    expected = _local_model_output(wf, wf.model_cid, ohlc_query, ts, tmp_path)
    assert np.array_equal(out.numbers["regression_output"], expected["regression_output"])
    assert out.numbers["regression_output"].dtype == np.float32

    latest = wf.alpha.read_workflow_result(address)
    assert np.array_equal(latest.numbers["regression_output"], out.numbers["regression_output"])
    history = wf.alpha.read_history_with_times(address, 10)
    assert len(history) == 3
    assert [h.time for h in history] == sorted([t for _, t in outs], reverse=True)
    for h, (o, _) in zip(history, reversed(outs)):
        assert np.array_equal(h.output.numbers["regression_output"], o.numbers["regression_output"])
    assert len(wf.alpha.read_workflow_history(address, 2)) == 2
    assert wf.alpha.workflow_info(address).result_count == 3


def test_bad_input_is_refused_before_sending(wf, ohlc_query):
    nonce = wf.chain.nonce(wf.account.address)
    bad_shape = HistoricalInputQuery("ETH", "USDT", 12, 60, CandleOrder.ASCENDING, ohlc_query.candle_types)
    with pytest.raises(ValidationError, match=r"expects shape \[1, 10, 4\], but the query gives \[1, 12, 4\]"):
        wf.alpha.new_workflow(wf.account, wf.model_cid, bad_shape, "open_high_low_close")
    # without the hub signature, the price feed's dry run catches it too
    with pytest.raises(ValidationError, match=r"expects \[1, 10, 4\]|shape"):
        wf.alpha.new_workflow(wf.account, wf.model_cid, bad_shape, "open_high_low_close", validate_signature=False)
    pair = HistoricalInputQuery("DOGE", "USDT", 10, 60, CandleOrder.ASCENDING, ohlc_query.candle_types)
    with pytest.raises(ValidationError, match=r"unknown pair DOGE/USDT; known: .*ETH/USDT"):
        wf.alpha.new_workflow(wf.account, wf.model_cid, pair, "open_high_low_close")
    with pytest.raises(ValidationError, match="frequency must be a positive"):
        wf.alpha.new_workflow(wf.account, wf.model_cid, ohlc_query, "open_high_low_close", SchedulerParams(0, 1))
    with pytest.raises(ValidationError, match="in the past"):
        wf.alpha.new_workflow(wf.account, wf.model_cid, ohlc_query, "open_high_low_close", SchedulerParams(10, -2))
    with pytest.raises(ValidationError, match="no input named"):
        wf.alpha.new_workflow(wf.account, wf.model_cid, ohlc_query, "prices")
    assert wf.chain.nonce(wf.account.address) == nonce  # nothing was sent


def test_schedule_validation_and_not_a_workflow(wf, ohlc_query):
    address = wf.alpha.new_workflow(wf.account, wf.model_cid, ohlc_query, "open_high_low_close")
    nonce = wf.chain.nonce(wf.account.address)
    with pytest.raises(ValidationError, match="frequency must be a positive"):
        wf.alpha.schedule(wf.account, address, SchedulerParams(-1, 1))
    with pytest.raises(ValidationError, match="in the past"):
        wf.alpha.register_task(wf.account, address, 1_000, 10)
    assert wf.chain.nonce(wf.account.address) == nonce
    for target, why in [
        (wf.account.address, "no contract code"),
        ("0x094E464A23B90A71a0894D5D1e5D470FfDD074e1", "does not answer"),
    ]:
        with pytest.raises(NotAWorkflow, match=rf"^{target} is not a workflow contract \(.*{why}"):
            wf.alpha.read_workflow_result(target)
        with pytest.raises(NotAWorkflow):
            wf.alpha.workflow_info(target)
        with pytest.raises(NotAWorkflow):
            wf.alpha.run_workflow(wf.account, target)
        assert not wf.alpha.is_workflow(target)
    with pytest.raises(ValidationError):
        wf.alpha.read_workflow_result("0x1234")


def test_devnet_down_is_a_clear_error(ohlc_query):
    import socket

    from og_tui.core.alpha import AlphaClient
    from og_tui.core.chain import ChainClient

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    alpha = AlphaClient(ChainClient(f"http://127.0.0.1:{port}/rpc", timeout=2))
    with pytest.raises(NetworkUnreachable, match="Cannot reach the chain RPC"):
        alpha.read_workflow_result("0xb4146E095c2CD2a7aA497EdfB513F1cB868Dcc3D")


def test_seeded_workflow_models_through_the_sdk(devnet, tmp_path, monkeypatch):
    import time

    import og_tui.sdk as og
    from og_tui.core.workflow_models import WORKFLOW_MODELS
    from og_tui.sdk import workflow_models as wm

    og.set_client(None) if hasattr(og, "set_client") else None
    with pytest.raises(RuntimeError, match="not initialized"):
        wm.read_btc_1_hour_price_forecast()
    monkeypatch.setenv("OG_TUI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("OG_TUI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OG_TUI_DEVNET_PORT", str(devnet.port))
    og.init(None, None, devnet.info["dev_accounts"][3]["private_key"], profile="local")
    try:
        deadline = time.monotonic() + 20
        for m in WORKFLOW_MODELS:
            while True:
                try:
                    out = getattr(wm, m.function)()
                    break
                except RuntimeError as exc:  # the keeper's first runs may still be landing
                    assert "no result yet" in str(exc), exc
                    assert time.monotonic() < deadline
                    time.sleep(0.3)
            assert out.result.endswith("%") and len(out.result.split(".")[1]) == 11, out.result
            assert abs(float(out.result[:-1])) < 50  # a forecast in percent, not a price
            assert out.block_explorer_link == ""  # devnet profile: no explorer
    finally:
        og.set_client(None) if hasattr(og, "set_client") else None
        from og_tui.sdk._state import set_client

        set_client(None)
    with pytest.raises(RuntimeError, match="not initialized"):
        wm.read_sui_usdt_6_hour_price_forecast()


def test_sdk_alpha_functions(devnet, wf, ohlc_query, tmp_path, monkeypatch):
    import og_tui.sdk as og
    from og_tui.sdk import alpha
    from og_tui.sdk._state import set_client

    set_client(None)
    with pytest.raises(RuntimeError, match="not initialized"):
        alpha.read_workflow_result("0xb4146E095c2CD2a7aA497EdfB513F1cB868Dcc3D")
    monkeypatch.setenv("OG_TUI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("OG_TUI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OG_TUI_DEVNET_PORT", str(devnet.port))
    og.init(None, None, "0x" + bytes(wf.account.key).hex(), profile="local")
    try:
        address = alpha.new_workflow(wf.model_cid, ohlc_query, "open_high_low_close")
        out = alpha.run_workflow(address)
        assert out.numbers["regression_output"].shape == (1, 1)
        assert np.array_equal(
            alpha.read_workflow_result(address).numbers["regression_output"], out.numbers["regression_output"]
        )
        assert len(alpha.read_workflow_history(address, 5)) == 1
    finally:
        set_client(None)
