"""The workflows deployed from this machine, per profile (a JSON file in the data dir)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Dict, List

__all__ = ["WorkflowBook"]


class WorkflowBook:
    """Workflows deployed from this machine, per profile: ``<data_dir>/workflows.json``.

    ``add(profile, address, **details)``, ``list(profile) -> [dict[str, Any]]`` (newest first),
    ``remove(profile, address)``. Writes are atomic (temp file + rename).
    """

    FILE = "workflows.json"

    def __init__(self, data_dir: Any) -> None:
        self.path = Path(data_dir) / self.FILE

    def _load(self) -> Dict[str, List[Dict[str, Any]]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def _save(self, data: Dict[str, List[Dict[str, Any]]]) -> None:
        from og_tui.core.fsperm import write_private

        write_private(self.path, json.dumps(data, indent=1))  # 0600 in a 0700 data dir

    def list(self, profile: str) -> List[dict[str, Any]]:
        return list(reversed(self._load().get(profile, [])))

    def add(self, profile: str, address: str, **details: Any) -> dict[str, Any]:
        data = self._load()
        rows = [r for r in data.get(profile, []) if str(r.get("address", "")).lower() != address.lower()]
        entry = {"address": address, "created": int(time.time()), **details}
        rows.append(entry)
        data[profile] = rows
        self._save(data)
        return entry

    def remove(self, profile: str, address: str) -> None:
        data = self._load()
        data[profile] = [r for r in data.get(profile, []) if str(r.get("address", "")).lower() != address.lower()]
        self._save(data)
