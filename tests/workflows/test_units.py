"""Pure parts: contract artifact, selectors, market, query/schedule validation."""

from __future__ import annotations

import hashlib
import time

import numpy as np
import pytest
from eth_utils import keccak

from og_tui.core import alpha as A
from og_tui.core import alpha_abi as ABI
from og_tui.core.abi import canonical_type, load_abi, signature
from og_tui.core.errors import ValidationError
from og_tui.core.types import CandleOrder, CandleType, HistoricalInputQuery, SchedulerParams
from og_tui.devnet.market import Market, UnknownPair


def test_artifact_has_the_reference_abi_and_matches_its_source():
    art = ABI.contract_artifact()
    ours = {(e["type"], e.get("name")): e for e in art["abi"]}
    for entry in load_abi("price_history_inference"):
        key = (entry["type"], entry.get("name"))
        assert key in ours, key
        assert signature(ours[key]) == signature(entry)
        if entry["type"] == "function":
            assert [canonical_type(p) for p in ours[key]["outputs"]] == [canonical_type(p) for p in entry["outputs"]]
    src = ABI.CONTRACT_ARTIFACT.with_suffix(".sol").read_bytes()
    assert hashlib.sha256(src).hexdigest() == art["sourceSha256"], "rebuild: see og_tui/core/contracts/build.js"
    assert len(bytes.fromhex(art["deployedBytecode"])) < 24_576


@pytest.mark.parametrize(
    "name,sel",
    [
        ("run()", ABI.SEL_RUN),
        ("getInferenceResult()", ABI.SEL_GET_RESULT),
        ("getLastInferenceResults(uint256)", ABI.SEL_GET_LAST),
        ("historicalContract()", ABI.SEL_HISTORICAL),
        ("inputName()", ABI.SEL_INPUT_NAME),
        ("modelId()", ABI.SEL_MODEL_ID),
        ("inputQuery()", ABI.SEL_INPUT_QUERY),
        (f"runInferenceOnPriceFeed(string,string,{ABI.QUERY_TYPE})", ABI.SEL_PRICE_FEED),
        ("registerTask(address,uint256,uint256)", ABI.SEL_REGISTER),
    ],
)
def test_selectors(name, sel):
    assert keccak(text=name)[:4].hex() == sel
    assert "0x" + keccak(text=ABI.EVENT_RESULT).hex() == ABI.EVENT_RESULT_TOPIC


def test_market_is_deterministic_and_consistent():
    m = Market()
    now = 1_750_000_123
    a = m.query_tensor("ETH", "USDT", 10, 60, 0, [2, 0, 1, 3], now)
    b = Market().query_tensor("eth", "usdt", 10, 60, 0, [2, 0, 1, 3], now)
    assert a.shape == (1, 10, 4) and a.dtype == np.float32
    assert np.array_equal(a, b)
    desc = m.query_tensor("ETH", "USDT", 10, 60, 1, [2, 0, 1, 3], now)
    assert np.array_equal(desc[0], a[0][::-1])
    c = m.candles("ETH", "USDT", 10, 60, now).values
    assert (c[:, 0] >= c[:, 1]).all() and (c[:, 0] >= c[:, 2]).all() and (c[:, 0] >= c[:, 3]).all()
    assert (c[:, 4] > 0).all()
    assert np.allclose(c[1:, 2], c[:-1, 3])  # open = previous close
    later = m.query_tensor("ETH", "USDT", 10, 60, 0, [3], now + 600)
    assert not np.array_equal(later[0, -1], a[0, -1, 3:4])  # the candle in progress moves
    with pytest.raises(UnknownPair, match=r"unknown pair DOGE/USDT; known: .*ETH/USDT"):
        m.candles("DOGE", "USDT", 10, 60, now)


def _q(**kw):
    base = dict(
        base="ETH",
        quote="USDT",
        total_candles=10,
        candle_duration_in_mins=60,
        order=CandleOrder.ASCENDING,
        candle_types=[CandleType.OPEN, CandleType.CLOSE],
    )
    base.update(kw)
    return HistoricalInputQuery(**base)


def test_check_query():
    q = A.check_query(_q(base=" eth ", order="descending", candle_types=["open", 3]))
    assert (
        q.base == "ETH" and q.order == CandleOrder.DESCENDING and q.candle_types == [CandleType.OPEN, CandleType.CLOSE]
    )
    for bad, field in [
        (dict(total_candles=0), "total_candles"),
        (dict(candle_duration_in_mins=-5), "candle_duration_in_mins"),
        (dict(candle_types=[]), "candle_types"),
        (dict(candle_types=["wick"]), "candle_types"),
        (dict(base=""), "base"),
        (dict(order=7), "order"),
    ]:
        with pytest.raises(ValidationError) as err:
            A.check_query(_q(**bad))
        assert err.value.field == field


def test_check_query_fits():
    sig = {"inputs": [{"name": "x", "dtype": "float32", "shape": [1, 10, 2]}]}
    A.check_query_fits(sig, "x", _q())
    A.check_query_fits(
        {"inputs": [{"name": "x", "dtype": "float32", "shape": [None, None, 2]}]}, "x", _q(total_candles=99)
    )
    with pytest.raises(ValidationError, match=r"expects shape \[1, 10, 2\], but the query gives \[1, 12, 2\]"):
        A.check_query_fits(sig, "x", _q(total_candles=12))
    with pytest.raises(ValidationError, match="Pick exactly 2 candle types"):
        A.check_query_fits(sig, "x", _q(candle_types=[0, 1, 2]))
    with pytest.raises(ValidationError, match="no input named 'y'"):
        A.check_query_fits(sig, "y", _q())
    with pytest.raises(ValidationError, match="3-D"):
        A.check_query_fits({"inputs": [{"name": "x", "dtype": "float32", "shape": [1, 20]}]}, "x", _q())


def test_check_schedule():
    now = time.time()
    end, freq = A.check_schedule(SchedulerParams(60, 2), now=now)
    assert freq == 60 and end == int(now) + 7200
    for params in (SchedulerParams(0, 1), SchedulerParams(-5, 1)):
        with pytest.raises(ValidationError, match="frequency must be a positive"):
            A.check_schedule(params)
    with pytest.raises(ValidationError, match="in the past"):
        A.check_schedule(SchedulerParams(10, -1))
    with pytest.raises(ValidationError, match="in the past"):
        A.check_schedule(frequency=10, end_time=int(now) - 1)


def test_schedule_next_run():
    s = A.Schedule(frequency=10, end_time=1_000, owner="0x", registered_at=900)
    assert s.next_run(now=905) == 910
    assert s.next_run(now=910.5) == 920
    assert s.next_run(now=995) is None


def test_workflow_book(tmp_path):
    book = A.WorkflowBook(tmp_path)
    book.add("local", "0xabc", model="cid1")
    book.add("local", "0xdef", model="cid2")
    book.add("local", "0xABC", model="cid3")
    assert [r["address"] for r in book.list("local")] == ["0xABC", "0xdef"]
    assert book.list("opengradient") == []
