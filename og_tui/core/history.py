"""Record the transactions a core call sends in the local history, the same way whoever
calls it (the app, the CLI, a script): one row per transaction, ``pending`` when it is
sent, ``confirmed`` / ``failed`` with gas and block once mined, under the kind names the
Activity screen knows (``store.TX_KINDS``).

    recorder = TxRecorder(store, profile.name, "inference", detail={"model": cid})
    run = client.infer(signer, cid, mode, x, on_status=recorder)

A multi-step call changes kind on a stage: ``new_workflow`` deploys, then registers a
schedule (``kind_after={"scheduling": "workflow-schedule"}``). History problems never
break the call they record.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional

_log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from og_tui.core.store import Store

__all__ = ["TxRecorder"]


class TxRecorder:
    """An ``on_status(stage, info)`` callback that writes what it sees to the history."""

    def __init__(
        self,
        store: Optional["Store"],
        profile: str,
        kind: str,
        *,
        from_addr: Optional[str] = None,
        to_addr: Optional[str] = None,
        detail: Optional[Dict[str, Any]] = None,
        kind_after: Optional[Dict[str, str]] = None,
        then: Optional[Callable[[str, Dict[str, Any]], None]] = None,
    ) -> None:
        self.store = store
        self.profile = profile
        self.kind = kind
        self.from_addr = from_addr
        self.to_addr = to_addr
        self.detail = detail
        self.kind_after = dict(kind_after or {})
        self.then = then
        self.hashes: List[str] = []

    def __call__(self, stage: str, info: Dict[str, Any]) -> None:
        self.kind = self.kind_after.get(stage, self.kind)
        tx_hash = info.get("hash") if isinstance(info, dict) else None
        if self.store is not None and isinstance(tx_hash, str) and tx_hash:
            try:
                if stage == "sent":
                    self.hashes.append(tx_hash)
                    self.store.add_tx(
                        tx_hash,
                        self.kind,
                        status="pending",
                        from_addr=self.from_addr,
                        to_addr=info.get("to") or self.to_addr,
                        profile=self.profile,
                        detail=self.detail,
                    )
                elif stage == "mined":
                    self.store.update_tx(
                        tx_hash,
                        status="confirmed" if int(info.get("status", 1)) == 1 else "failed",
                        gas_used=info.get("gas_used"),
                        block=info.get("block"),
                    )
            except Exception:  # noqa: BLE001 - the history must not break the call it records
                _log.debug("the history must not break the call it records", exc_info=True)
        if self.then is not None:
            self.then(stage, info)

    def failed(self, exc: BaseException) -> None:
        """Mark the transaction an error names (or the last one sent) as failed."""
        tx_hash = getattr(exc, "tx_hash", None) or (self.hashes[-1] if self.hashes else None)
        if self.store is None or not tx_hash:
            return
        try:
            if self.store.get_tx(tx_hash) is not None:
                self.store.update_tx(tx_hash, status="failed", error=getattr(exc, "reason", None) or str(exc))
        except Exception:  # noqa: BLE001
            _log.debug("history: marking the transaction failed did not work", exc_info=True)
