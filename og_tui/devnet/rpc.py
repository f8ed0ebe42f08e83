"""Ethereum JSON-RPC 2.0 over the devnet chain, in the wire format any client expects.

``RpcDispatcher.handle(payload)`` takes the decoded JSON body (one request or a batch)
and returns the JSON-able response (or ``None`` for a batch of notifications);
``respond(payload)`` returns it serialized, within the response size limit. Every
method runs under the node's chain lock, except ``eth_call``/``eth_estimateGas`` (and
the estimate of ``eth_sendTransaction``), whose EVM runs outside it, under the gas cap
and the wall-clock limit (``limits.py``). Batches are capped in length, filters in
number and lifetime, ids must be what JSON-RPC allows. Errors are JSON-RPC error objects
``{code, message, data?}``; a revert is ``{code: 3, message: "execution reverted:
<reason>", data: "0x<revert data>"}`` like geth, so web3 raises ``ContractLogicError``.

This module holds the dispatcher: the method table, batches, ids, locking, error mapping and
the response size limit. The methods themselves are in rpc_eth.py (node info, fees, state,
execution, blocks, transactions) and rpc_logs.py (logs and filters); parameter parsing and
``RpcError`` in rpc_params.py.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
from typing import TYPE_CHECKING, Any, Callable

from og_tui.devnet.chain_errors import ChainError
from og_tui.devnet.limits import DevnetLimits
from og_tui.devnet.rpc_eth import EthMethods
from og_tui.devnet.rpc_logs import LogMethods
from og_tui.devnet.rpc_params import RpcError, invalid

if TYPE_CHECKING:
    from og_tui.devnet.node import DevnetNode

log = logging.getLogger(__name__)

# methods that take the node lock themselves, only for the parts that touch the chain
UNLOCKED_METHODS = frozenset({"eth_call", "eth_estimateGas", "eth_sendTransaction"})
# exceptions that mean "this input cannot be handled" rather than "the node is broken"
INPUT_FAULTS = (ValueError, TypeError, OverflowError, RecursionError)


def valid_id(value: Any) -> bool:
    """What JSON-RPC 2.0 allows as an id: a string, a (finite) number or null."""
    if value is None or isinstance(value, str):
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value)


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), allow_nan=False).encode("utf-8")


class RpcDispatcher(EthMethods, LogMethods):
    def __init__(self, node: "DevnetNode") -> None:
        self.node = node
        self.limits: DevnetLimits = getattr(node, "limits", None) or DevnetLimits()
        self._filters: dict[int, dict] = {}
        self._filter_ids = itertools.count(1)
        self.methods: dict[str, Callable[[list], Any]] = {
            name[4:]: getattr(self, name) for name in dir(self) if name.startswith("rpc_")
        }

    @property
    def chain(self):
        return self.node.chain

    # -- entry point --------------------------------------------------------------------
    def handle(self, payload: Any) -> Any:
        if isinstance(payload, list):
            refused = self._refuse_batch(payload)
            if refused is not None:
                return refused
            answers = [self._one(item) for item in payload]
            answers = [a for a in answers if a is not None]
            return answers or None
        return self._one(payload)

    def respond(self, payload: Any) -> bytes | None:
        """``handle`` serialized as JSON, its results within ``limits.response_limit`` bytes.

        A single answer over the limit becomes error -32003; in a batch, the answer that
        crosses the limit and every later one are that error (the later requests are not run).
        """
        limit = self.limits.response_limit
        if not isinstance(payload, list):
            answer = self._one(payload)
            if answer is None:
                return None
            raw = _dumps(answer)
            return raw if len(raw) <= limit else _dumps(_too_large(answer.get("id"), limit))
        refused = self._refuse_batch(payload)
        if refused is not None:
            return _dumps(refused)
        parts: list[bytes] = []
        size = 2
        full = False
        for item in payload:
            if full:  # the rest is not run: each request gets the error (notifications nothing)
                if isinstance(item, dict) and "id" not in item:
                    continue
                req_id = item.get("id") if isinstance(item, dict) and valid_id(item.get("id")) else None
                parts.append(_dumps(_too_large(req_id, limit)))
                continue
            answer = self._one(item)
            if answer is None:
                continue
            raw = _dumps(answer)
            if size + len(raw) + 1 > limit:
                raw = _dumps(_too_large(answer.get("id"), limit))
                full = True
            size += len(raw) + 1
            parts.append(raw)
        return b"[" + b",".join(parts) + b"]" if parts else None

    def _refuse_batch(self, payload: list) -> dict | None:
        if not payload:
            return _error(None, RpcError(-32600, "empty batch"))
        if len(payload) > self.limits.batch_limit:
            return _error(
                None,
                RpcError(
                    -32600, f"batch too large: {len(payload)} requests, at most {self.limits.batch_limit} per batch"
                ),
            )
        return None

    def _one(self, req: Any) -> dict | None:
        if not isinstance(req, dict):
            return _error(None, RpcError(-32600, "invalid request: expected a JSON object"))
        req_id = req.get("id")
        if not valid_id(req_id):
            return _error(None, RpcError(-32600, "invalid request: the id must be a string, a finite number or null"))
        if req.get("jsonrpc") != "2.0" or not isinstance(req.get("method"), str):
            return _error(
                req_id, RpcError(-32600, 'invalid request: expected {"jsonrpc": "2.0", "method": "...", ...}')
            )
        name = req["method"]
        method = self.methods.get(name)
        try:
            if method is None:
                raise RpcError(-32601, f"the method {name[:100]} does not exist/is not available")
            if name in UNLOCKED_METHODS:
                result = method(req.get("params"))
            else:
                with self.node.lock:
                    result = method(req.get("params"))
        except RpcError as exc:
            return _error(req_id, exc)
        except ChainError as exc:
            return _error(req_id, RpcError(exc.code, exc.message, exc.data))
        except INPUT_FAULTS as exc:
            log.warning("rpc method %s refused its params: %s: %s", name, type(exc).__name__, exc)
            return _error(req_id, invalid(f"invalid params: {type(exc).__name__}: {str(exc)[:200]}"))
        except Exception as exc:  # never leak a traceback to the client; log it here
            log.exception("rpc method %s failed", name)
            return _error(req_id, RpcError(-32603, f"internal error: {type(exc).__name__}: {exc}"))
        if "id" not in req:
            return None  # notification
        return {"jsonrpc": "2.0", "id": req_id, "result": result}


def _error(req_id: Any, exc: RpcError) -> dict:
    return {"jsonrpc": "2.0", "id": req_id, "error": exc.to_json()}


def _too_large(req_id: Any, limit: int) -> dict:
    return _error(req_id, RpcError(-32003, f"response too large (limit {limit} bytes)"))
