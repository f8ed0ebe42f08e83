"""Alpha workflows: price-history contracts that feed candles to a model on a schedule.

A workflow is a ``PriceHistoryInference`` contract (protocol notes §5) holding a model
CID, the model's input tensor name and a candle query. ``run()`` asks the price-feed
precompile (``0x…F5``) to fetch the candles, run the model and return its output,
which the contract stores and emits. The ``WorkflowScheduler`` system contract calls
``run()`` every ``frequency`` seconds until an end time.

:class:`AlphaClient` is the headless API (the CLI, the SDK and the Workflows screen use
it)::

    alpha = AlphaClient(chain, signature_provider=hub.model_signature)
    address = alpha.new_workflow(signer, cid, query, "open_high_low_close",
                                 SchedulerParams(frequency=60, duration_hours=2))
    output = alpha.run_workflow(signer, address, on_status=print)
    info = alpha.workflow_info(address)       # model, query, schedule, next run, last result time
    history = alpha.read_workflow_history(address, 20)   # most recent first

Bad input is refused before anything is sent: a query that does not fit the model's
input signature, an unknown pair (asked of the network's price feed with a dry-run
``eth_call``), a zero/negative frequency, an end time in the past, an address that is
not a workflow. Every failure is an :class:`og_tui.core.errors.OGError`.

web3 is not used; ``eth_abi`` is imported inside the functions that need it.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

from og_tui.core import constants as C
from og_tui.core.alpha_abi import (
    DEPLOY_GAS_FALLBACK,
    DEPLOY_TIMEOUT,
    EVENT_RESULT_TOPIC,
    EXT_SIGNATURES,
    MODEL_OUTPUT_TYPE,
    QUERY_TYPE,
    REGISTER_GAS,
    REGISTER_TIMEOUT,
    RUN_GAS,
    RUN_TIMEOUT,
    SEL_GET_LAST,
    SEL_GET_RESULT,
    SEL_INPUT_NAME,
    SEL_INPUT_QUERY,
    SEL_MODEL_ID,
    SEL_PRICE_FEED,
    SEL_REGISTER,
    SEL_RUN,
    SignatureProvider,
    _addr,
    _to_model_output,
    contract_artifact,
    decode_model_output_bytes,
    output_to_dict,
)
from og_tui.core.alpha_query import (
    MAX_CANDLES,
    MAX_DURATION_MINS,
    check_query,
    check_query_fits,
    check_schedule,
    query_from_dict,
    query_input_shape,
    query_to_dict,
)
from og_tui.core.alpha_types import KeeperStats, RunOutcome, Schedule, WorkflowInfo, WorkflowRun, decode_schedule
from og_tui.core.errors import ChainError, OGError, TxReverted, ValidationError
from og_tui.core.hexutil import StatusCallback, hex_bytes, notify, selector_hex
from og_tui.core.types import CandleOrder, CandleType, HistoricalInputQuery, ModelOutput, SchedulerParams
from og_tui.core.workflow_book import WorkflowBook

_log = logging.getLogger(__name__)

__all__ = [
    "AlphaClient",
    "NotAWorkflow",
    "ScheduleFailed",
    "WorkflowBook",
    "WorkflowInfo",
    "WorkflowRun",
    "Schedule",
    "KeeperStats",
    "RunOutcome",
    "StatusCallback",
    "MAX_CANDLES",
    "MAX_DURATION_MINS",
    "check_query",
    "check_query_fits",
    "query_input_shape",
    "check_schedule",
    "query_from_dict",
    "query_to_dict",
    "output_to_dict",
    "decode_model_output_bytes",
    "contract_artifact",
    "MODEL_OUTPUT_TYPE",
    "QUERY_TYPE",
    "RUN_GAS",
    "DEPLOY_GAS_FALLBACK",
    "REGISTER_GAS",
]


class NotAWorkflow(ValidationError):
    """The address holds no PriceHistoryInference contract."""

    default_hint = "Check the address: it must be a workflow contract deployed with og-tui workflow new (or the SDK)."


class ScheduleFailed(ChainError):
    """Deployed, but the scheduler registration failed; ``address`` is the deployed workflow."""

    def __init__(self, message: str, *, address: str, hint: Optional[str] = None) -> None:
        self.address = address
        super().__init__(message, hint=hint)


# --- the client -----------------------------------------------------------------------------


class AlphaClient:
    """Workflows over a :class:`og_tui.core.chain.ChainClient`.

    ``signature_provider(cid) -> {"inputs": [...], ...}`` supplies model signatures for
    the pre-deploy check (e.g. ``HubClient.model_signature``); without one, the check
    relies on the network's price feed (a dry-run call). ``price_feed_address`` and
    ``scheduler_address`` default to the OpenGradient addresses (the devnet uses the same).
    """

    def __init__(
        self,
        chain: Any,
        *,
        signature_provider: Optional[SignatureProvider] = None,
        scheduler_address: str = C.SCHEDULER_ADDRESS,
        price_feed_address: str = C.PRICE_FEED_PRECOMPILE_ADDRESS,
    ) -> None:
        self.chain = chain
        self.signature_provider = signature_provider
        self.scheduler_address = scheduler_address
        self.price_feed_address = price_feed_address

    # -- low-level calls --------------------------------------------------------------------
    def _call(self, to: str, data: str, block: Any = "latest") -> bytes:
        return hex_bytes(self.chain.call({"to": to, "data": "0x" + data}, block))

    @staticmethod
    def _enc(types: List[str], values: List[Any]) -> str:
        from eth_abi.abi import encode

        return encode(types, values).hex()

    # -- validation ------------------------------------------------------------------------------
    def model_signature(self, model_cid: str) -> Dict[str, Any]:
        if self.signature_provider is None:
            raise ValidationError("No Model Hub to read the model signature from.", field="model")
        return self.signature_provider(model_cid)

    def preflight(self, model_cid: str, input_name: str, query: HistoricalInputQuery) -> ModelOutput:
        """Dry-run the price feed for this model and query (an ``eth_call``: nothing is sent).

        Raises ValidationError with the network's reason (unknown pair, shape mismatch,
        unknown model...).
        """
        data = SEL_PRICE_FEED + self._enc(
            ["string", "string", QUERY_TYPE], [model_cid, input_name, query.to_abi_format()]
        )
        try:
            raw = self._call(self.price_feed_address, data)
        except TxReverted as exc:
            reason = (exc.reason or "no reason given").removeprefix("price feed: ")
            raise ValidationError(f"The network's price feed refused this workflow: {reason}.", field="query") from None
        if not raw:
            raise ValidationError(
                f"Nothing answers at the price feed {self.price_feed_address} on this network.", field="query"
            )
        return decode_model_output_bytes(raw)

    def validate_workflow(
        self,
        model_cid: str,
        input_query: Any,
        input_tensor_name: str,
        *,
        validate_signature: bool = True,
        signature: Optional[Dict[str, Any]] = None,
        preflight: bool = True,
    ) -> HistoricalInputQuery:
        """Everything :meth:`new_workflow` checks before sending; returns the normalized query."""
        if not isinstance(model_cid, str) or not model_cid.strip():
            raise ValidationError("Give the model CID.", field="model")
        if not isinstance(input_tensor_name, str) or not input_tensor_name.strip():
            raise ValidationError("Give the model's input tensor name.", field="input_name")
        query = check_query(input_query)
        if validate_signature:
            sig = signature
            if sig is None and self.signature_provider is not None:
                sig = self.model_signature(model_cid.strip())
            if sig is not None:
                check_query_fits(sig, input_tensor_name.strip(), query)
        if preflight:
            self.preflight(model_cid.strip(), input_tensor_name.strip(), query)
        return query

    # -- deploy -------------------------------------------------------------------------------------
    def deploy_data(self, model_cid: str, input_tensor_name: str, query: HistoricalInputQuery) -> str:
        art = contract_artifact()
        args = self._enc(["string", "string", QUERY_TYPE], [model_cid, input_tensor_name, query.to_abi_format()])
        return "0x" + str(art["bytecode"]) + args

    def new_workflow(
        self,
        signer: Any,
        model_cid: str,
        input_query: Any,
        input_tensor_name: str,
        scheduler_params: Optional[SchedulerParams] = None,
        *,
        validate_signature: bool = True,
        signature: Optional[Dict[str, Any]] = None,
        preflight: bool = True,
        on_status: Optional[StatusCallback] = None,
    ) -> str:
        """Validate, deploy a workflow contract from ``signer`` and (optionally) schedule it.

        Returns the contract address. ``on_status(stage, info)`` sees ``validating``,
        the chain stages of the deployment (``estimating``, ``signed``, ``sent``,
        ``mined``), ``deployed`` and, with ``scheduler_params``, ``scheduling`` and
        ``scheduled``. Scheduling is validated before deploying too.
        """
        notify(on_status, "validating", {"model": model_cid})
        sched = check_schedule(scheduler_params) if scheduler_params is not None else None
        query = self.validate_workflow(
            model_cid,
            input_query,
            input_tensor_name,
            validate_signature=validate_signature,
            signature=signature,
            preflight=preflight,
        )
        data = self.deploy_data(model_cid.strip(), input_tensor_name.strip(), query)
        tx_fields: Dict[str, Any] = {"to": None, "value": 0, "data": data}
        try:
            outcome = self.chain.send(
                signer,
                tx_fields,
                on_status=on_status,
                gas_margin=1.2,
                receipt_timeout=DEPLOY_TIMEOUT,
                label="workflow deployment",
            )
        except TxReverted as exc:
            if exc.tx_hash:
                raise
            raise ValidationError(f"The workflow contract would not deploy: {exc.reason}.", field="query") from None
        address = outcome.receipt.get("contractAddress")
        if not address:
            raise ChainError("The deployment was mined but the receipt names no contract address.")
        from og_tui.core.amounts import parse_address

        address = parse_address(address)
        notify(on_status, "deployed", {"address": address, "hash": outcome.hash, "block": outcome.block})
        if sched is not None:
            try:
                end_time, frequency = check_schedule(scheduler_params)  # recomputed: the deploy took time
                self.register_task(signer, address, end_time, frequency, on_status=on_status)
            except OGError as exc:
                raise ScheduleFailed(
                    f"The workflow was deployed at {address}, but scheduling it failed: {exc}",
                    address=address,
                    hint="Schedule it again with the address above (og-tui workflow schedule / AlphaClient.schedule).",
                ) from exc
        return address

    # -- schedule -----------------------------------------------------------------------------------
    def schedule(
        self, signer: Any, address: str, params: SchedulerParams, on_status: Optional[StatusCallback] = None
    ) -> Any:
        """Register ``address`` with the scheduler: run every ``params.frequency`` s for ``params.duration_hours``."""
        end_time, frequency = check_schedule(params)
        return self.register_task(signer, address, end_time, frequency, on_status=on_status)

    def register_task(
        self, signer: Any, address: str, end_time: int, frequency: int, on_status: Optional[StatusCallback] = None
    ) -> Any:
        """``registerTask(address, endTime, frequency)`` (validated first); returns the TxOutcome."""
        end_time, frequency = check_schedule(frequency=frequency, end_time=end_time)
        address = self.require_workflow(address)
        notify(on_status, "scheduling", {"address": address, "end_time": end_time, "frequency": frequency})
        data = SEL_REGISTER + self._enc(["address", "uint256", "uint256"], [address, end_time, frequency])
        outcome = self.chain.send(
            signer,
            {"to": self.scheduler_address, "value": 0, "data": "0x" + data},
            on_status=on_status,
            receipt_timeout=REGISTER_TIMEOUT,
            label="schedule registration",
        )
        notify(
            on_status,
            "scheduled",
            {"address": address, "end_time": end_time, "frequency": frequency, "hash": outcome.hash},
        )
        return outcome

    def cancel_schedule(self, signer: Any, address: str, on_status: Optional[StatusCallback] = None) -> Any:
        """Stop the scheduled runs of ``address`` (devnet scheduler extension; owner only)."""
        address = _addr(address)
        data = selector_hex(EXT_SIGNATURES["cancelTask"]) + self._enc(["address"], [address])
        return self.chain.send(
            signer,
            {"to": self.scheduler_address, "value": 0, "data": "0x" + data},
            on_status=on_status,
            receipt_timeout=REGISTER_TIMEOUT,
            label="schedule cancellation",
        )

    def get_schedule(self, address: str) -> Optional[Schedule]:
        """The scheduler's registration of ``address``, or None (also when the scheduler cannot tell)."""
        address = _addr(address)
        data = selector_hex(EXT_SIGNATURES["getTask"]) + self._enc(["address"], [address])
        try:
            raw = self._call(self.scheduler_address, data)
        except TxReverted:
            return None
        return decode_schedule(raw)

    def keeper_stats(self, since: int = 0) -> KeeperStats:
        """The devnet keeper's run statistics since ``since`` (unix s): runs, failures, drift."""
        from eth_abi.abi import decode

        data = selector_hex(EXT_SIGNATURES["keeperStats"]) + self._enc(["uint256"], [int(since)])
        raw = self._call(self.scheduler_address, data)
        runs, failures, p50, p95, mx, active = decode(["uint256"] * 6, raw)
        return KeeperStats(runs, failures, p50 / 1000.0, p95 / 1000.0, mx / 1000.0, active)

    # -- run ---------------------------------------------------------------------------------------------
    def run_workflow(self, signer: Any, address: str, on_status: Optional[StatusCallback] = None) -> ModelOutput:
        """Call ``run()`` now (a transaction from ``signer``) and return this run's output."""
        return self.run_workflow_tx(signer, address, on_status=on_status).output

    def run_workflow_tx(
        self, signer: Any, address: str, on_status: Optional[StatusCallback] = None, gas: Optional[int] = None
    ) -> RunOutcome:
        address = self.require_workflow(address)
        tx_fields: Dict[str, Any] = {"to": address, "value": 0, "data": "0x" + SEL_RUN}
        if gas is None:
            # estimate first: a failing run is refused with its reason before anything is sent
            notify(on_status, "estimating", {"to": address})
            est = self.chain.estimate_gas({"from": signer.address, "to": address, "data": "0x" + SEL_RUN})
            gas = min(RUN_GAS, max(int(est * 1.5), 100_000))
        tx_fields["gas"] = int(gas)
        outcome = self.chain.send(
            signer, tx_fields, on_status=on_status, receipt_timeout=RUN_TIMEOUT, label="workflow run"
        )
        output = None
        for log in outcome.receipt.get("logs") or []:
            topics = log.get("topics") or []
            if (
                topics
                and str(topics[0]).lower() == EVENT_RESULT_TOPIC
                and str(log.get("address", "")).lower() == address.lower()
            ):
                output = decode_model_output_bytes(hex_bytes(log.get("data")))
                break
        if output is None:
            notify(on_status, "reading", {"address": address})
            output = self.read_workflow_result(address)
        notify(on_status, "result", {"address": address, "hash": outcome.hash})
        return RunOutcome(output=output, tx=outcome)

    # -- reads ---------------------------------------------------------------------------------------------
    def read_workflow_result(self, address: str) -> ModelOutput:
        """The latest stored result (an empty ModelOutput when the workflow never ran)."""
        address = _addr(address)
        try:
            raw = self._call(address, SEL_GET_RESULT)
        except TxReverted:
            self.require_workflow(address)
            raise
        if not raw:
            self.require_workflow(address)
            raise NotAWorkflow(f"{address} is not a workflow contract.")
        try:
            return decode_model_output_bytes(raw)
        except Exception:
            raise NotAWorkflow(
                f"{address} is not a workflow contract (its getInferenceResult() answer is not a ModelOutput)."
            ) from None

    def read_workflow_history(self, address: str, num_results: int) -> List[ModelOutput]:
        """The last ``num_results`` results, most recent first."""
        from eth_abi.abi import decode

        address = _addr(address)
        n = _positive("num_results", num_results)
        try:
            raw = self._call(address, SEL_GET_LAST + self._enc(["uint256"], [n]))
        except TxReverted:
            self.require_workflow(address)
            raise
        if not raw:
            self.require_workflow(address)
            raise NotAWorkflow(f"{address} is not a workflow contract.")
        try:
            (items,) = decode([MODEL_OUTPUT_TYPE + "[]"], raw)
        except Exception:
            raise NotAWorkflow(
                f"{address} is not a workflow contract (its getLastInferenceResults() answer "
                "is not a list of ModelOutput)."
            ) from None
        return [_to_model_output(item) for item in items]

    def read_history_with_times(self, address: str, num_results: int) -> List[WorkflowRun]:
        """Like :meth:`read_workflow_history`, with each run's block time when the contract records it."""
        outputs = self.read_workflow_history(address, num_results)
        times = self.run_times(address, len(outputs)) if outputs else []
        return [WorkflowRun(o, times[i] if i < len(times) else None) for i, o in enumerate(outputs)]

    def run_times(self, address: str, num: int) -> List[int]:
        """Block times of the last ``num`` runs, most recent first ([] if the contract cannot tell)."""
        from eth_abi.abi import decode

        data = selector_hex(EXT_SIGNATURES["getLastRunTimes"]) + self._enc(["uint256"], [int(num)])
        try:
            raw = self._call(_addr(address), data)
            (times,) = decode(["uint256[]"], raw)
        except Exception:  # noqa: BLE001 - a reference contract has no getLastRunTimes()
            return []
        return [int(t) for t in times]

    def is_workflow(self, address: str) -> bool:
        try:
            self.require_workflow(address)
        except NotAWorkflow:
            return False
        return True

    def require_workflow(self, address: str) -> str:
        """The checksummed address, or NotAWorkflow ("0x… is not a workflow contract")."""
        address = _addr(address)
        results = self.chain.rpc_batch(
            [
                ("eth_getCode", [address, "latest"]),
                ("eth_call", [{"to": address, "data": "0x" + SEL_MODEL_ID}, "latest"]),
                ("eth_call", [{"to": address, "data": "0x" + SEL_INPUT_QUERY}, "latest"]),
            ]
        )
        for r in results:
            if isinstance(r, Exception) and not isinstance(r, TxReverted):
                raise r
        code = results[0]
        if not code or code in ("0x", "0x0"):
            raise NotAWorkflow(f"{address} is not a workflow contract (there is no contract code at this address).")
        try:
            from eth_abi.abi import decode

            if isinstance(results[1], Exception) or isinstance(results[2], Exception):
                raise ValueError
            decode(["string"], hex_bytes(results[1]))
            decode(["string", "string", "uint32", "uint32", "uint8"], hex_bytes(results[2]))
        except Exception:
            raise NotAWorkflow(
                f"{address} is not a workflow contract (it does not answer modelId() and inputQuery())."
            ) from None
        return address

    def workflow_info(self, address: str) -> WorkflowInfo:
        """Model, input name, query, schedule, result count and last run time in one round trip."""
        from eth_abi.abi import decode

        address = _addr(address)
        sched_data = "0x" + selector_hex(EXT_SIGNATURES["getTask"]) + self._enc(["address"], [address])
        calls = [
            ("eth_getCode", [address, "latest"]),
            ("eth_call", [{"to": address, "data": "0x" + SEL_MODEL_ID}, "latest"]),
            ("eth_call", [{"to": address, "data": "0x" + SEL_INPUT_NAME}, "latest"]),
            ("eth_call", [{"to": address, "data": "0x" + SEL_INPUT_QUERY}, "latest"]),
            ("eth_call", [{"to": address, "data": "0x" + selector_hex(EXT_SIGNATURES["inputCandleTypes"])}, "latest"]),
            ("eth_call", [{"to": address, "data": "0x" + selector_hex(EXT_SIGNATURES["resultCount"])}, "latest"]),
            (
                "eth_call",
                [
                    {
                        "to": address,
                        "data": "0x" + selector_hex(EXT_SIGNATURES["getLastRunTimes"]) + self._enc(["uint256"], [1]),
                    },
                    "latest",
                ],
            ),
            ("eth_call", [{"to": self.scheduler_address, "data": sched_data}, "latest"]),
        ]
        r = self.chain.rpc_batch(calls)
        for item in r:
            if isinstance(item, Exception) and not isinstance(item, TxReverted):
                raise item
        if not r[0] or r[0] in ("0x", "0x0"):
            raise NotAWorkflow(f"{address} is not a workflow contract (there is no contract code at this address).")
        try:
            if any(isinstance(x, Exception) for x in r[1:4]):
                raise ValueError
            (model_id,) = decode(["string"], hex_bytes(r[1]))
            (input_name,) = decode(["string"], hex_bytes(r[2]))
            base, quote, total, duration, order = decode(
                ["string", "string", "uint32", "uint32", "uint8"], hex_bytes(r[3])
            )
        except Exception:
            raise NotAWorkflow(
                f"{address} is not a workflow contract (it does not answer modelId() and inputQuery())."
            ) from None
        types: List[CandleType] = []
        known = False
        if not isinstance(r[4], Exception):
            try:
                (raw_types,) = decode(["uint8[]"], hex_bytes(r[4]))
                types = [CandleType(int(t)) for t in raw_types]
                known = True
            except Exception:  # noqa: BLE001
                _log.debug("workflow info: the candle types did not decode; shown as unknown", exc_info=True)
        count = None
        if not isinstance(r[5], Exception):
            try:
                (count,) = decode(["uint256"], hex_bytes(r[5]))
            except Exception:  # noqa: BLE001
                count = None
        last_time = None
        if not isinstance(r[6], Exception):
            try:
                (times,) = decode(["uint256[]"], hex_bytes(r[6]))
                last_time = int(times[0]) if times else None
            except Exception:  # noqa: BLE001
                _log.debug(
                    "workflow info: the run times did not decode; the last run is shown as unknown", exc_info=True
                )
        schedule = None if isinstance(r[7], Exception) else decode_schedule(hex_bytes(r[7]))
        try:
            order_enum = CandleOrder(int(order))
        except ValueError:
            order_enum = int(order)  # type: ignore[assignment]
        query = HistoricalInputQuery(base, quote, int(total), int(duration), order_enum, types)
        return WorkflowInfo(address, model_id, input_name, query, schedule, count, last_time, known)


def _positive(name: str, value: Any) -> int:
    try:
        if isinstance(value, bool):
            raise ValueError
        v = int(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{name} must be a whole number, not {value!r}.", field=name) from None
    if v <= 0:
        raise ValidationError(f"{name} must be positive, not {v}.", field=name)
    return v
