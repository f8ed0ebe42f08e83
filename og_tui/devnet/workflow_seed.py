"""Alpha workflows on the devnet: price feed, scheduler, and the seven public workflow models.

:func:`install` (called once by the devnet server at start) registers the price-feed
precompile (``0x…F5``) and the WorkflowScheduler, makes sure the seven hard-coded
workflow contracts of the OpenGradient SDK exist at **their public addresses** (their
constructor is run in place, in a sealed system block, the first time), registers them
with the scheduler (first run at once, then every ``OG_TUI_DEVNET_SEED_FREQUENCY``
seconds, default 30) and starts the keeper thread that runs due workflows.

The seeded workflows run small deterministic ONNX models published on the devnet hub
under the ``samples`` account: return forecasts (``regression_output``, fraction of
price, e.g. 0.0012 = +0.12 %), a volatility forecast (``Y``, from the hub's
``volatility-forecast-1h`` sample) and standardized-return forecasts
(``destandardized_prediction``), all over ten OHLC candles (input
``open_high_low_close`` ``[1, 10, 4]``), so ``.10%`` formatting reads naturally.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from eth_abi import encode as abi_encode
from eth_utils import to_canonical_address

from og_tui.core import constants
from og_tui.core.alpha import QUERY_TYPE, contract_artifact
from og_tui.core.types import CandleOrder, CandleType

log = logging.getLogger(__name__)

__all__ = ["SEEDS", "Seed", "install", "WorkflowServices", "SEED_FREQUENCY_ENV", "build_return_models"]

SEED_FREQUENCY_ENV = "OG_TUI_DEVNET_SEED_FREQUENCY"
DEFAULT_SEED_FREQUENCY = 30
SEED_END_TIME = 2**40  # far future (year ~36812)
OHLC = "open_high_low_close"
OHLC_TYPES = [CandleType.OPEN, CandleType.HIGH, CandleType.LOW, CandleType.CLOSE]
CANDLES = 10

RETURN_MODEL = "price-return-forecast"
ZRETURN_MODEL = "price-return-forecast-standardized"
VOL_MODEL = "volatility-forecast-1h"  # the hub's sample


@dataclass(frozen=True)
class Seed:
    function: str
    address: str
    base: str
    quote: str
    duration_mins: int
    model: str  # hub model name
    output: str


SEEDS: List[Seed] = [
    Seed(
        "read_eth_usdt_one_hour_volatility_forecast",
        "0xD5629A5b95dde11e4B5772B5Ad8a13B933e33845",
        "ETH",
        "USDT",
        60,
        VOL_MODEL,
        "Y",
    ),
    Seed(
        "read_btc_1_hour_price_forecast",
        "0xb4146E095c2CD2a7aA497EdfB513F1cB868Dcc3D",
        "BTC",
        "USDT",
        60,
        RETURN_MODEL,
        "regression_output",
    ),
    Seed(
        "read_eth_1_hour_price_forecast",
        "0x58826c6dc9A608238d9d57a65bDd50EcaE27FE99",
        "ETH",
        "USDT",
        60,
        RETURN_MODEL,
        "regression_output",
    ),
    Seed(
        "read_sol_1_hour_price_forecast",
        "0xaE12EC7314e91A612CF4Fa4DC07dC02cfCc4dF95",
        "SOL",
        "USDT",
        60,
        RETURN_MODEL,
        "regression_output",
    ),
    Seed(
        "read_sui_1_hour_price_forecast",
        "0x90FE6434C46838c96E9ACb8d394C0fdfe38C6182",
        "SUI",
        "USDT",
        60,
        RETURN_MODEL,
        "regression_output",
    ),
    Seed(
        "read_sui_usdt_30_min_price_forecast",
        "0xD85BA71f5701dc4C5BDf9780189Db49C6F3708D2",
        "SUI",
        "USDT",
        30,
        ZRETURN_MODEL,
        "destandardized_prediction",
    ),
    Seed(
        "read_sui_usdt_6_hour_price_forecast",
        "0x3C2E4DbD653Bd30F1333d456480c1b7aB122e946",
        "SUI",
        "USDT",
        360,
        ZRETURN_MODEL,
        "destandardized_prediction",
    ),
]


# --- models -------------------------------------------------------------------------------


def _model_bytes(graph) -> bytes:
    from onnx import checker, helper

    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="og-tui-devnet", producer_version="1"
    )
    model.ir_version = 9
    checker.check_model(model)
    return model.SerializeToString(deterministic=True)


def build_return_models() -> Dict[str, tuple[str, bytes]]:
    """``{hub name: (description, onnx bytes)}`` of the seeded return-forecast models."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    def arr(name, values, dtype=np.float32):
        return numpy_helper.from_array(np.array(values, dtype=dtype), name)

    inp = helper.make_tensor_value_info(OHLC, TensorProto.FLOAT, [1, CANDLES, 4])
    pick_close = arr("pick_close", [[0.0], [0.0], [0.0], [1.0]])

    # regression_output = 0.35 * (close_last / close_first - 1) + 0.15 * (close_last / mean(close) - 1)
    g1 = helper.make_graph(
        [
            helper.make_node("MatMul", [OHLC, "pick_close"], ["close3"]),  # [1,N,1]
            helper.make_node("Squeeze", ["close3", "ax2"], ["close"]),  # [1,N]
            helper.make_node("Gather", ["close", "last"], ["c_last"], axis=1),  # [1,1]
            helper.make_node("Gather", ["close", "first"], ["c_first"], axis=1),  # [1,1]
            helper.make_node("ReduceMean", ["close"], ["c_mean"], axes=[1], keepdims=1),  # [1,1]
            helper.make_node("Div", ["c_last", "c_first"], ["r1"]),
            helper.make_node("Sub", ["r1", "one"], ["m1"]),
            helper.make_node("Div", ["c_last", "c_mean"], ["r2"]),
            helper.make_node("Sub", ["r2", "one"], ["m2"]),
            helper.make_node("Mul", ["m1", "w1"], ["t1"]),
            helper.make_node("Mul", ["m2", "w2"], ["t2"]),
            helper.make_node("Add", ["t1", "t2"], ["regression_output"]),
        ],
        "price_return_forecast",
        [inp],
        [helper.make_tensor_value_info("regression_output", TensorProto.FLOAT, [1, 1])],
        initializer=[
            pick_close,
            arr("ax2", [2], np.int64),
            arr("last", [CANDLES - 1], np.int64),
            arr("first", [0], np.int64),
            arr("one", [1.0]),
            arr("w1", [0.35]),
            arr("w2", [0.15]),
        ],
    )
    # destandardized_prediction: z-score the candle returns, predict z_next = 0.6 * z_last, map back
    g2 = helper.make_graph(
        [
            helper.make_node("MatMul", [OHLC, "pick_close"], ["close3"]),
            helper.make_node("Squeeze", ["close3", "ax2"], ["close"]),  # [1,N]
            helper.make_node("Slice", ["close", "s1", "e1", "ax1"], ["c_next"]),  # [1,N-1]
            helper.make_node("Slice", ["close", "s0", "e0", "ax1"], ["c_prev"]),  # [1,N-1]
            helper.make_node("Div", ["c_next", "c_prev"], ["ratio"]),
            helper.make_node("Sub", ["ratio", "one"], ["ret"]),
            helper.make_node("ReduceMean", ["ret"], ["mu"], axes=[1], keepdims=1),  # [1,1]
            helper.make_node("Sub", ["ret", "mu"], ["centered"]),
            helper.make_node("Mul", ["centered", "centered"], ["sq"]),
            helper.make_node("ReduceMean", ["sq"], ["var"], axes=[1], keepdims=1),
            helper.make_node("Add", ["var", "eps"], ["var_eps"]),
            helper.make_node("Sqrt", ["var_eps"], ["sigma"]),
            helper.make_node("Gather", ["centered", "lastr"], ["c_last"], axis=1),  # [1,1]
            helper.make_node("Div", ["c_last", "sigma"], ["z_last"]),
            helper.make_node("Mul", ["z_last", "coef"], ["z_pred"]),
            helper.make_node("Mul", ["z_pred", "sigma"], ["scaled"]),
            helper.make_node("Add", ["scaled", "mu"], ["destandardized_prediction"]),
        ],
        "price_return_forecast_standardized",
        [inp],
        [helper.make_tensor_value_info("destandardized_prediction", TensorProto.FLOAT, [1, 1])],
        initializer=[
            pick_close,
            arr("ax2", [2], np.int64),
            arr("ax1", [1], np.int64),
            arr("s1", [1], np.int64),
            arr("e1", [CANDLES], np.int64),
            arr("s0", [0], np.int64),
            arr("e0", [CANDLES - 1], np.int64),
            arr("lastr", [CANDLES - 2], np.int64),
            arr("one", [1.0]),
            arr("eps", [1e-12]),
            arr("coef", [0.6]),
        ],
    )
    return {
        RETURN_MODEL: (
            f"Workflow model: next-period return forecast (fraction, 0.01 = +1 %) from {OHLC} [1, {CANDLES}, 4] "
            "(open, high, low, close; oldest first). Output regression_output [1, 1].",
            _model_bytes(g1),
        ),
        ZRETURN_MODEL: (
            f"Workflow model: standardized candle returns, next return predicted as 0.6 z and mapped back. "
            f"Input {OHLC} [1, {CANDLES}, 4]; output destandardized_prediction [1, 1] (fraction).",
            _model_bytes(g2),
        ),
    }


def publish_models(node: Any) -> Dict[str, str]:
    """Make sure the seed models are on the devnet hub; ``{model name: cid}``."""
    from og_tui.devnet.hub import get_service
    from og_tui.devnet.hub.samples import SAMPLES_EMAIL, SAMPLES_USERNAME
    from og_tui.devnet.hub.service import HubProblem

    service = get_service(node)
    cids = dict(service.ensure_samples())
    owner = service.auth.ensure_user(SAMPLES_EMAIL, SAMPLES_USERNAME)
    built: Optional[Dict[str, tuple[str, bytes]]] = None
    for name in (RETURN_MODEL, ZRETURN_MODEL):
        try:
            model = service._model_row(name)
            versions = service._versions(model["id"])
            existing = (
                [f for f in service._files_json(versions[0]["id"]) if f.get("name") == f"{name}.onnx"]
                if versions
                else []
            )
            if existing and service.blobs.exists(existing[0]["ipfsCid"]):
                cids[name] = existing[0]["ipfsCid"]
                continue
        except HubProblem:
            pass
        if built is None:
            built = build_return_models()  # imports onnx: only the first time
        description, data = built[name]
        try:
            model = service._model_row(name)
        except HubProblem:
            service.create_model(owner, name, description, "price forecast")
            model = service._model_row(name)
        versions = service._versions(model["id"])
        if not versions:
            service.create_version(owner, name, "Initial release", False)
            versions = service._versions(model["id"])
        cids[name] = service.store_bytes(versions[0], f"{name}.onnx", data)["ipfsCid"]
    return cids


# --- contracts in place ------------------------------------------------------------------------


def _seed_frequency() -> int:
    try:
        return max(1, int(os.environ.get(SEED_FREQUENCY_ENV) or DEFAULT_SEED_FREQUENCY))
    except ValueError:
        return DEFAULT_SEED_FREQUENCY


def seed_contracts(node: Any, cids: Dict[str, str], keeper_account: bytes, frequency: Optional[int] = None) -> int:
    """Deploy missing seed workflows at their fixed addresses and schedule them; returns how many were made."""
    from eth.constants import CREATE_CONTRACT_ADDRESS
    from eth.vm.message import Message

    from og_tui.devnet import scheduler as S

    freq = frequency or _seed_frequency()
    initcode = bytes.fromhex(contract_artifact()["bytecode"])
    sched = to_canonical_address(constants.SCHEDULER_ADDRESS)
    todo = []
    with node.lock:
        for seed in SEEDS:
            addr = to_canonical_address(seed.address)
            if not node.chain.get_code(addr) and seed.model in cids:
                todo.append((seed, addr))
        if not todo:
            return 0

        def edit(state) -> None:
            now = int(time.time())
            for seed, addr in todo:
                query = (
                    seed.base,
                    seed.quote,
                    CANDLES,
                    seed.duration_mins,
                    int(CandleOrder.ASCENDING),
                    [int(t) for t in OHLC_TYPES],
                )
                args = abi_encode(["string", "string", QUERY_TYPE], [cids[seed.model], OHLC, query])
                msg = Message(
                    gas=30_000_000,
                    to=CREATE_CONTRACT_ADDRESS,
                    sender=keeper_account,
                    value=0,
                    data=b"",
                    code=initcode + args,
                    create_address=addr,
                )
                ctx = state.get_transaction_context_class()(gas_price=0, origin=keeper_account)
                comp = state.computation_class.apply_create_message(state, msg, ctx)
                if comp.is_error:
                    raise RuntimeError(f"seed workflow {seed.address}: constructor failed: {comp.error}")
                # schedule: registered one period ago, so the first run is due at once
                count = state.get_storage(sched, S.COUNT_SLOT)
                idx = state.get_storage(sched, S.index_slot(addr))
                if idx == 0:
                    state.set_storage(sched, S.COUNT_SLOT, count + 1)
                    state.set_storage(sched, S.index_slot(addr), count + 1)
                    base = S.task_slots(count)
                else:
                    base = S.task_slots(idx - 1)
                state.set_storage(sched, base, int.from_bytes(addr, "big"))
                state.set_storage(sched, base + 1, int.from_bytes(keeper_account, "big"))
                state.set_storage(sched, base + 2, SEED_END_TIME)
                state.set_storage(sched, base + 3, freq)
                state.set_storage(sched, base + 4, now - freq)

        node.chain.system_edit(edit)
    return len(todo)


# --- entry point -------------------------------------------------------------------------------------


@dataclass
class WorkflowServices:
    feed: Any
    keeper: Any
    cids: Dict[str, str]

    def stop(self) -> None:
        self.keeper.stop()


def install(node: Any, *, start_keeper: bool = True) -> WorkflowServices:
    """Price feed + scheduler + seeded workflows on ``node``; the keeper thread started."""
    from og_tui.devnet import price_feed, scheduler

    feed = price_feed.install(node)
    keeper = scheduler.install(node, start=False)
    cids: Dict[str, str] = {}
    try:
        cids = publish_models(node)
        made = seed_contracts(node, cids, keeper.account)
        if made:
            log.info("seeded %d workflow contracts", made)
    except Exception:  # noqa: BLE001 - the devnet must still start without them
        log.exception("could not seed the hard-coded workflow models")
    if start_keeper:
        keeper.start()
    return WorkflowServices(feed, keeper, cids)
