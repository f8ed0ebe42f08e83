"""The devnet's JSON-RPC log queries and filters: ``eth_getLogs`` and the ``eth_*Filter*`` methods.

``LogMethods`` is a mixin of :class:`og_tui.devnet.rpc.RpcDispatcher` (which holds the
filter table ``_filters`` and the id counter ``_filter_ids``). Filters live until
uninstalled or unused for ``limits.filter_timeout`` seconds, at most ``limits.max_filters``
at once; a log query spans at most ``MAX_LOG_RANGE`` blocks.
"""

from __future__ import annotations

import time
from typing import Any

from og_tui.devnet import wire
from og_tui.devnet.rpc_params import RpcError, expect_params, invalid, p_address, p_block, p_hash, p_quantity

MAX_LOG_RANGE = 100_000


class LogMethods:
    """The ``rpc_*`` handlers of logs and filters; ``_filters``/``_filter_ids`` are the dispatcher's."""

    # -- logs & filters ---------------------------------------------------------------------------
    def _log_criteria(self, obj: Any) -> dict:
        if obj is None:
            obj = {}
        if not isinstance(obj, dict):
            raise invalid("filter object expected")
        crit: dict = {}
        address = obj.get("address")
        if address:
            crit["addresses"] = [p_address(a) for a in (address if isinstance(address, list) else [address])]
        topics = obj.get("topics")
        if topics:
            parsed = []
            for t in topics:
                if t is None:
                    parsed.append(None)
                elif isinstance(t, list):
                    parsed.append({int.from_bytes(p_hash(x, "topic"), "big") for x in t if x is not None} or None)
                else:
                    parsed.append({int.from_bytes(p_hash(t, "topic"), "big")})
            crit["topics"] = parsed
        if obj.get("blockHash"):
            crit["block_hash"] = p_hash(obj["blockHash"], "blockHash")
        crit["from"] = obj.get("fromBlock", "latest")
        crit["to"] = obj.get("toBlock", "latest")
        return crit

    def _resolve(self, tag: Any) -> int:
        parsed = p_block(tag, self.chain)
        if parsed == "earliest":
            return 0
        if isinstance(parsed, int):
            return parsed
        return self.chain.block_number

    def _logs(self, crit: dict, from_n: int | None = None) -> list:
        start = self._resolve(crit["from"]) if from_n is None else from_n
        end = self._resolve(crit["to"])
        if crit.get("block_hash") is None and end - start > MAX_LOG_RANGE:
            raise RpcError(-32005, f"block range too large: {end - start} > {MAX_LOG_RANGE} blocks")
        found = self.chain.logs(start, end, crit.get("addresses"), crit.get("topics"), crit.get("block_hash"))
        return [wire.log(entry, blk, tx, ti, li) for blk, tx, ti, entry, li in found]

    def rpc_eth_getLogs(self, params):
        (obj,) = expect_params(params, 1, 1)
        return self._logs(self._log_criteria(obj))

    # filters live until uninstalled or unused for limits.filter_timeout seconds (geth: 5 min),
    # at most limits.max_filters at once
    def _expire_filters(self) -> None:
        oldest = time.monotonic() - self.limits.filter_timeout
        for fid in [fid for fid, flt in self._filters.items() if flt["used"] < oldest]:
            del self._filters[fid]

    def _add_filter(self, flt: dict) -> str:
        self._expire_filters()
        if len(self._filters) >= self.limits.max_filters:
            raise RpcError(
                -32000,
                (
                    f"too many filters: {len(self._filters)} are installed (limit {self.limits.max_filters}); "
                    f"uninstall some with eth_uninstallFilter, unused ones expire after {self.limits.filter_timeout:g}s"
                ),
            )
        fid = next(self._filter_ids)
        flt["used"] = time.monotonic()
        self._filters[fid] = flt
        return wire.q(fid)

    def rpc_eth_newFilter(self, params):
        (obj,) = expect_params(params, 1, 1)
        crit = self._log_criteria(obj)
        return self._add_filter({"kind": "logs", "crit": crit, "next": self._resolve(crit["from"])})

    def rpc_eth_newBlockFilter(self, params):
        return self._add_filter({"kind": "blocks", "next": self.chain.block_number + 1})

    def rpc_eth_newPendingTransactionFilter(self, params):
        return self._add_filter({"kind": "pending"})

    def _filter(self, params) -> tuple[int, dict]:
        (fid,) = expect_params(params, 1, 1)
        fid = p_quantity(fid, "filter id")
        self._expire_filters()
        flt = self._filters.get(fid)
        if flt is None:
            raise RpcError(-32000, "filter not found")
        flt["used"] = time.monotonic()
        return fid, flt

    def rpc_eth_getFilterChanges(self, params):
        _, flt = self._filter(params)
        head = self.chain.block_number
        if flt["kind"] == "blocks":
            hashes = [wire.data(self.chain.block_by_number(n).hash) for n in range(flt["next"], head + 1)]
            flt["next"] = head + 1
            return hashes
        if flt["kind"] == "logs":
            start = flt["next"]
            if start > head:
                return []
            crit = dict(flt["crit"], to=min(self._resolve(flt["crit"]["to"]), head))
            flt["next"] = head + 1
            return self._logs(crit, from_n=start)
        return []

    def rpc_eth_getFilterLogs(self, params):
        _, flt = self._filter(params)
        if flt["kind"] != "logs":
            raise RpcError(-32000, "filter is not a log filter")
        return self._logs(flt["crit"])

    def rpc_eth_uninstallFilter(self, params):
        (fid,) = expect_params(params, 1, 1)
        return self._filters.pop(p_quantity(fid, "filter id"), None) is not None
