"""Devnet Model Hub: the logic behind the HTTP routes (synchronous, thread-safe).

Layout under ``<data_dir>/hub``: ``hub.sqlite3`` (metadata, migrations in db.py),
``blobs/`` (content-addressed files), ``tmp/`` (uploads in progress), ``secret.key``
(signs ID tokens).
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from og_tui.core.errors import ValidationError
from og_tui.core.fsperm import private_dir, tighten_tree
from og_tui.core.hub import format_version, model_name_key, next_version, parse_version, validate_model_name
from og_tui.devnet.hub.auth import DEFAULT_MAX_SESSIONS, DEFAULT_REFRESH_TTL, AuthService, LockoutPolicy, User
from og_tui.devnet.hub.blobs import BlobStore
from og_tui.devnet.hub.db import HubDB

__all__ = ["HubService", "HubProblem", "DEFAULT_MAX_UPLOAD", "DEFAULT_TOKEN_TTL"]

DEFAULT_MAX_UPLOAD = 4 * 1024**3  # 4 GiB
DEFAULT_TOKEN_TTL = 3600.0
DEFAULT_SIG_MAX = 16 * 1024**3  # ONNX files above this are stored without a signature (big ones are scanned with seeks)
MAX_LIST_LIMIT = 10_000


class HubProblem(Exception):
    """An HTTP error answer: ``{"detail": ...}`` with ``status``."""

    def __init__(self, status: int, detail: str) -> None:
        self.status = status
        self.detail = detail
        super().__init__(detail)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _env_float(name: str) -> Optional[float]:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return None
    try:
        return float(raw)
    except ValueError:
        return None


class HubService:
    def __init__(
        self,
        data_dir: "str | os.PathLike",
        *,
        token_ttl: Optional[float] = None,
        max_upload: Optional[int] = None,
        sig_max_bytes: Optional[int] = None,
        publish_samples: bool = True,
        refresh_ttl: Optional[float] = None,
        max_sessions: Optional[int] = None,
        lockout: Optional[LockoutPolicy] = None,
        now: Optional[Callable[[], float]] = None,
    ) -> None:
        self.root = Path(data_dir) / "hub"
        tighten_tree(private_dir(self.root))  # 0700 / 0600, also what an older version left 0644
        if token_ttl is None:
            token_ttl = _env_float("OG_TUI_DEVNET_TOKEN_TTL") or DEFAULT_TOKEN_TTL
        if refresh_ttl is None:
            refresh_ttl = _env_float("OG_TUI_DEVNET_REFRESH_TTL") or DEFAULT_REFRESH_TTL
        if max_sessions is None:
            max_sessions = int(_env_float("OG_TUI_DEVNET_HUB_MAX_SESSIONS") or DEFAULT_MAX_SESSIONS)
        if max_upload is None:
            env = _env_float("OG_TUI_DEVNET_HUB_MAX_UPLOAD")
            max_upload = int(env) if env else DEFAULT_MAX_UPLOAD
        self.max_upload = int(max_upload)
        self.sig_max_bytes = int(sig_max_bytes if sig_max_bytes is not None else DEFAULT_SIG_MAX)
        self.db = HubDB(self.root / "hub.sqlite3")
        self.blobs = BlobStore(self.root / "blobs")
        self.auth = AuthService(
            self.db,
            self.root / "secret.key",
            token_ttl,
            refresh_ttl=float(refresh_ttl),
            max_sessions=int(max_sessions),
            lockout=lockout,
            now=now or time.time,
        )
        self._samples: Optional[Dict[str, str]] = None
        if publish_samples:
            self.ensure_samples()

    def close(self) -> None:
        self.db.close()

    # ---- helpers ---------------------------------------------------------------------
    def _model_row(self, name: str):
        try:
            key = model_name_key(name)
        except Exception:
            key = name
        row = self.db.one(
            "SELECT m.*, u.username AS author FROM models m JOIN users u ON u.id = m.owner_id WHERE m.name_key = ?",
            (key,),
        )
        if row is None:
            raise HubProblem(404, f"Model '{name}' does not exist.")
        return row

    def _versions(self, model_id: int) -> List[Any]:
        return self.db.query("SELECT * FROM versions WHERE model_id = ? ORDER BY major, minor", (model_id,))

    def _version_row(self, model, version: str):
        try:
            major, minor = parse_version(version)
        except ValidationError as exc:
            raise HubProblem(400, str(exc)) from None
        row = self.db.one(
            "SELECT * FROM versions WHERE model_id = ? AND major = ? AND minor = ?", (model["id"], major, minor)
        )
        if row is None:
            existing = ", ".join(format_version(v["major"], v["minor"]) for v in self._versions(model["id"]))
            raise HubProblem(
                404, f"Model '{model['name']}' has no version {version} (existing versions: {existing or 'none'})."
            )
        return row

    def _require_owner(self, model, user: User, action: str) -> None:
        if model["owner_id"] != user.id:
            raise HubProblem(
                403,
                f"Model '{model['name']}' belongs to {model['author']}; only its owner can "
                f"{action}. Create a model of your own to publish your files.",
            )

    # ---- models ----------------------------------------------------------------------
    def create_model(self, user: User, name: Any, description: Any = "", task_name: Any = "") -> Dict[str, Any]:
        try:
            name = validate_model_name(name)
        except ValidationError as exc:
            raise HubProblem(400, str(exc) + (f" {exc.hint}" if exc.hint else "")) from None
        if description is None:
            description = ""
        if not isinstance(description, str) or len(description) > 10_000:
            raise HubProblem(400, "The description must be text of at most 10,000 characters.")
        now = time.time()
        with self.db.tx() as conn:
            existing = conn.execute(
                "SELECT m.name, u.username FROM models m JOIN users u ON u.id = m.owner_id WHERE name_key = ?",
                (model_name_key(name),),
            ).fetchone()
            if existing is not None:
                whose = "you" if existing["username"] == user.username else existing["username"]
                raise HubProblem(
                    409,
                    f"A model named '{existing['name']}' already exists (owned by {whose}); "
                    f"model names are unique on the hub, ignoring case.",
                )
            cur = conn.execute(
                "INSERT INTO models (name, name_key, description, task_name, owner_id, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (name, model_name_key(name), description, str(task_name or ""), user.id, now),
            )
            model_id = cur.lastrowid
        return {
            "id": model_id,
            "name": name,
            "description": description,
            "authorUsername": user.username,
            "taskName": str(task_name or ""),
            "createdAt": _iso(now),
        }

    def create_version(self, user: User, name: str, notes: Any = "", is_major: Any = False) -> Dict[str, Any]:
        model = self._model_row(name)
        self._require_owner(model, user, "create versions")
        if notes is None:
            notes = ""
        if not isinstance(notes, str) or len(notes) > 10_000:
            raise HubProblem(400, "Version notes must be text of at most 10,000 characters.")
        now = time.time()
        with self.db.tx() as conn:
            rows = conn.execute("SELECT major, minor FROM versions WHERE model_id = ?", (model["id"],)).fetchall()
            major, minor = next_version([(r["major"], r["minor"]) for r in rows], bool(is_major))
            conn.execute(
                "INSERT INTO versions (model_id, major, minor, notes, is_major, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (model["id"], major, minor, notes, int(bool(is_major)), now),
            )
        return {
            "versionString": format_version(major, minor),
            "notes": notes,
            "isMajor": bool(is_major),
            "modelName": model["name"],
            "createdAt": _iso(now),
        }

    def list_versions(self, name: str) -> List[Dict[str, Any]]:
        model = self._model_row(name)
        return [self._version_json(v) for v in self._versions(model["id"])]

    def _version_json(self, v, files: bool = False) -> Dict[str, Any]:
        out = {
            "versionString": format_version(v["major"], v["minor"]),
            "notes": v["notes"],
            "isMajor": bool(v["is_major"]),
            "createdAt": _iso(v["created_at"]),
        }
        if files:
            out["files"] = self._files_json(v["id"])
        return out

    def list_models(
        self,
        page: Any = 1,
        limit: Any = 100,
        search: Optional[str] = None,
        author: Optional[str] = None,
        viewer: Optional[User] = None,
        sort: str = "name",
    ) -> Dict[str, Any]:
        try:
            page = max(1, int(page))
            limit = int(limit)
        except (TypeError, ValueError):
            raise HubProblem(400, "page and limit must be whole numbers.") from None
        if not 1 <= limit <= MAX_LIST_LIMIT:
            raise HubProblem(400, f"limit must be between 1 and {MAX_LIST_LIMIT}.")
        where, params = [], []
        if author:
            if author == "me":
                if viewer is None:
                    raise HubProblem(401, "Sign in to list your own models (author=me).")
                where.append("m.owner_id = ?")
                params.append(viewer.id)
            else:
                where.append("lower(u.username) = lower(?)")
                params.append(author)
        if search:
            term = "%" + search.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where.append(
                "(m.name_key LIKE ? ESCAPE '\\' OR lower(m.description) LIKE ? ESCAPE '\\' "
                "OR lower(u.username) LIKE ? ESCAPE '\\')"
            )
            params += [term, term, term]
        clause = ("WHERE " + " AND ".join(where)) if where else ""
        order = {
            "name": "m.name_key ASC",
            "newest": "m.created_at DESC, m.id DESC",
            "oldest": "m.created_at ASC, m.id ASC",
        }.get(sort, "m.name_key ASC")
        total = self.db.one(f"SELECT COUNT(*) FROM models m JOIN users u ON u.id = m.owner_id {clause}", tuple(params))[
            0
        ]
        rows = self.db.query(
            f"""SELECT m.id, m.name, m.description, m.task_name, m.created_at, u.username AS author,
                   (SELECT major || '.' || substr('0' || minor, -2) FROM versions v WHERE v.model_id = m.id
                    ORDER BY major DESC, minor DESC LIMIT 1) AS latest,
                   (SELECT COUNT(*) FROM versions v WHERE v.model_id = m.id) AS nversions
                FROM models m JOIN users u ON u.id = m.owner_id {clause}
                ORDER BY {order} LIMIT ? OFFSET ?""",
            tuple(params) + (limit, (page - 1) * limit),
        )
        models = [
            {
                "id": r["id"],
                "name": r["name"],
                "description": r["description"],
                "authorUsername": r["author"],
                "taskName": r["task_name"],
                "createdAt": _iso(r["created_at"]),
                "latestVersion": r["latest"],
                "versionCount": r["nversions"],
            }
            for r in rows
        ]
        return {"models": models, "total": total, "page": page, "limit": limit}

    def model_detail(self, name: str) -> Dict[str, Any]:
        m = self._model_row(name)
        versions = [self._version_json(v, files=True) for v in self._versions(m["id"])]
        return {
            "id": m["id"],
            "name": m["name"],
            "description": m["description"],
            "authorUsername": m["author"],
            "taskName": m["task_name"],
            "createdAt": _iso(m["created_at"]),
            "latestVersion": versions[-1]["versionString"] if versions else None,
            "versions": versions,
        }

    # ---- files -----------------------------------------------------------------------
    def _files_json(self, version_id: int) -> List[Dict[str, Any]]:
        rows = self.db.query(
            "SELECT f.name, f.cid, f.created_at, b.size, b.is_onnx, b.signature, b.error FROM files f "
            "JOIN blobs b ON b.cid = f.cid WHERE f.version_id = ? ORDER BY f.name",
            (version_id,),
        )
        return [self._file_json(r) for r in rows]

    @staticmethod
    def _file_json(r) -> Dict[str, Any]:
        out: Dict[str, Any] = {
            "name": r["name"],
            "size": r["size"],
            "ipfsCid": r["cid"],
            "isOnnx": None if r["is_onnx"] is None else bool(r["is_onnx"]),
            "signature": json.loads(r["signature"]) if r["signature"] else None,
            "createdAt": _iso(r["created_at"]),
        }
        if r["error"]:
            out["error"] = r["error"]
        return out

    def list_files(self, name: str, version: str) -> List[Dict[str, Any]]:
        model = self._model_row(name)
        return self._files_json(self._version_row(model, version)["id"])

    def upload_target(self, user: User, name: str, version: str) -> Tuple[Any, Any]:
        """Check, before any byte is read, that ``user`` may upload to name/version."""
        model = self._model_row(name)
        self._require_owner(model, user, "upload files")
        return model, self._version_row(model, version)

    def analyze(self, path: Path, size: int) -> Tuple[Optional[bool], Optional[dict], Optional[str]]:
        """(is_onnx, signature, error) for a received file."""
        from og_tui.core.onnx_sig import NotOnnx, signature_from_file

        with open(path, "rb") as fh:
            first = fh.read(1)
        if first != b"\x08":  # every ONNX serializer writes ir_version (field 1, varint) first
            return False, None, "not an ONNX model (stored as an opaque file; it cannot be run)"
        if size > self.sig_max_bytes:
            return None, None, f"signature not extracted: the file is larger than {self.sig_max_bytes // 1024**2} MiB"
        try:
            return True, signature_from_file(path), None
        except NotOnnx as exc:
            return False, None, f"{exc} (stored as an opaque file; it cannot be run)"

    def register_file(
        self,
        version_row,
        filename: str,
        cid: str,
        size: int,
        is_onnx: Optional[bool],
        signature: Optional[dict],
        error: Optional[str],
    ) -> Dict[str, Any]:
        now = time.time()
        with self.db.tx() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO blobs (cid, size, is_onnx, signature, error, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    cid,
                    size,
                    None if is_onnx is None else int(is_onnx),
                    json.dumps(signature) if signature else None,
                    error,
                    now,
                ),
            )
            conn.execute(
                "INSERT INTO files (version_id, name, cid, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (version_id, name) DO UPDATE SET cid = excluded.cid, created_at = excluded.created_at",
                (version_row["id"], filename, cid, now),
            )
        row = self.db.one(
            "SELECT f.name, f.cid, f.created_at, b.size, b.is_onnx, b.signature, b.error FROM files f "
            "JOIN blobs b ON b.cid = f.cid WHERE f.version_id = ? AND f.name = ?",
            (version_row["id"], filename),
        )
        return self._file_json(row)

    def blob_info(self, cid: str) -> Dict[str, Any]:
        row = self.db.one("SELECT * FROM blobs WHERE cid = ?", (cid,))
        if row is None or not self.blobs.exists(cid):
            raise HubProblem(404, f"No file with CID {cid} on this hub.")
        name = self.db.one("SELECT name FROM files WHERE cid = ? ORDER BY id LIMIT 1", (cid,))
        return {
            "cid": cid,
            "size": row["size"],
            "isOnnx": None if row["is_onnx"] is None else bool(row["is_onnx"]),
            "signature": json.loads(row["signature"]) if row["signature"] else None,
            "error": row["error"],
            "name": name["name"] if name else cid,
            "path": self.blobs.path(cid),
        }

    def blob_path(self, cid: str) -> Path:
        """Path of a stored file by CID (for devnet inference); HubProblem(404) if unknown."""
        return self.blob_info(cid)["path"]

    def store_bytes(self, version_row, filename: str, data: bytes) -> Dict[str, Any]:
        """Store and register an in-memory file (samples, tests)."""
        cid, size = self.blobs.put_bytes(data)
        is_onnx, sig, err = self.analyze(self.blobs.path(cid), size)
        return self.register_file(version_row, filename, cid, size, is_onnx, sig, err)

    # ---- samples ---------------------------------------------------------------------
    def ensure_samples(self) -> Dict[str, str]:
        """Publish the sample models under the ``samples`` account (once); returns {name: cid}."""
        if self._samples is not None:
            return dict(self._samples)
        from og_tui.devnet.hub.samples import SAMPLES_EMAIL, SAMPLES_USERNAME

        stored = self.db.one("SELECT value FROM meta WHERE key = 'samples'")
        if stored is not None:
            mapping = json.loads(stored["value"])
            if all(self.blobs.exists(c) for c in mapping.values()):
                self._samples = mapping
                return dict(mapping)
        from og_tui.devnet.hub.samples import build_samples

        owner = self.auth.ensure_user(SAMPLES_EMAIL, SAMPLES_USERNAME)
        mapping = {}
        for sample in build_samples():
            try:
                model = self._model_row(sample.name)
            except HubProblem:
                self.create_model(owner, sample.name, sample.description, sample.task)
                model = self._model_row(sample.name)
            versions = self._versions(model["id"])
            if not versions:
                self.create_version(owner, sample.name, sample.notes, False)
                versions = self._versions(model["id"])
            info = self.store_bytes(versions[0], sample.filename, sample.data)
            mapping[sample.name] = info["ipfsCid"]
        with self.db.tx() as conn:
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('samples', ?)", (json.dumps(mapping),))
        self._samples = mapping
        return dict(mapping)
