"""What the workflow client returns: schedules, workflow facts, stored runs, keeper stats."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Optional

from og_tui.core.alpha_query import query_to_dict
from og_tui.core.types import HistoricalInputQuery, ModelOutput

__all__ = ["Schedule", "WorkflowInfo", "WorkflowRun", "KeeperStats", "RunOutcome", "decode_schedule"]


@dataclass
class Schedule:
    """A scheduler registration: runs every ``frequency`` s from ``registered_at`` until ``end_time``."""

    frequency: int
    end_time: int
    owner: str
    registered_at: int

    def active(self, now: Optional[float] = None) -> bool:
        now = time.time() if now is None else now
        return now < self.end_time

    def next_run(self, now: Optional[float] = None) -> Optional[int]:
        """Unix time of the next scheduled run, None once the end time has passed."""
        now = time.time() if now is None else now
        if self.frequency <= 0:
            return None
        if now < self.registered_at + self.frequency:
            nxt = self.registered_at + self.frequency
        else:
            k = int((now - self.registered_at) // self.frequency) + 1
            nxt = self.registered_at + k * self.frequency
        return nxt if nxt < self.end_time else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "frequency": self.frequency,
            "end_time": self.end_time,
            "owner": self.owner,
            "registered_at": self.registered_at,
            "active": self.active(),
            "next_run": self.next_run(),
        }


@dataclass
class WorkflowInfo:
    """What the detail pane shows about one workflow contract."""

    address: str
    model_id: str
    input_name: str
    query: HistoricalInputQuery  # candle_types empty when the contract cannot tell them
    schedule: Optional[Schedule] = None
    result_count: Optional[int] = None  # None: the contract has no resultCount() (not og-tui's)
    last_run_time: Optional[int] = None
    candle_types_known: bool = True

    @property
    def next_run(self) -> Optional[int]:
        return self.schedule.next_run() if self.schedule else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "model_id": self.model_id,
            "input_name": self.input_name,
            "query": query_to_dict(self.query),
            "schedule": self.schedule.as_dict() if self.schedule else None,
            "next_run": self.next_run,
            "result_count": self.result_count,
            "last_run_time": self.last_run_time,
        }


@dataclass
class WorkflowRun:
    """One stored result; ``time`` is the block time of the run when the contract records it."""

    output: ModelOutput
    time: Optional[int] = None


@dataclass
class KeeperStats:
    runs: int
    failures: int
    drift_p50_ms: float
    drift_p95_ms: float
    drift_max_ms: float
    active_tasks: int


@dataclass
class RunOutcome:
    """What :meth:`AlphaClient.run_workflow_tx` returns: the output and the mined tx."""

    output: ModelOutput
    tx: Any = field(repr=False, default=None)


def decode_schedule(raw: bytes) -> Optional[Schedule]:
    if not raw or len(raw) < 128:
        return None
    from eth_abi.abi import decode

    try:
        owner, end_time, frequency, registered_at = decode(["address", "uint256", "uint256", "uint256"], raw[:128])
    except Exception:  # noqa: BLE001
        return None
    if frequency == 0:
        return None
    from eth_utils.address import to_checksum_address

    return Schedule(int(frequency), int(end_time), to_checksum_address(owner), int(registered_at))
