"""The devnet inference hub: a native contract at ``constants.INFERENCE_HUB_ADDRESS``.

``run(string modelId, uint8 inferenceMode, ModelInput modelInput) returns (ModelOutput)``
(selector 0xcbf09d80) loads the model by CID from the hub's blob store, checks the
input against the model signature, runs it with onnxruntime (:mod:`models`), charges
gas for the work, and leaves two logs in the receipt, in this order, like a hub
contract that calls the precompile:

1. ``ModelInferenceEvent(string inferenceID, (uint8,string,ModelInput) request, ModelOutput response)``
   from the precompile address 0x...F4;
2. ``InferenceResult(ModelOutput output)`` from the hub address.

The result is also stored per inference id for the node API
(``GET /artela-network/artela-rollkit/inference/tx/{id}``, see inference_routes.py).

Modes
- VANILLA (0): the model's output.
- TEE (2): the output plus a JSON tensor ``tee_attestation`` signed by the node's
  attestation key (secp256k1, generated per data dir, ``<data_dir>/inference/attestation.key``),
  see :func:`attestation_digest`. It is a devnet key, not hardware; the JSON says so.
- ZKML (1): reverted with a clear reason: this devnet produces no ZK proofs (it never
  sets a fake proof flag).

Outputs above ``INLINE_OUTPUT_ELEMENTS`` elements are not copied into the events (they
carry an empty ``ModelOutput``, as the real network does for results it delivers
off-chain); clients then read them from the node API. ``run``'s return data always
holds the full output.

Dispatch hook (for the LLM methods on the same address)::

    from og_tui.devnet.inference_hub import register_hub_method, register_precompile_method
    register_hub_method("runLLMChat((uint8,string,...))", handler)   # or the 4-byte selector
    # handler(call: NativeCall) -> bytes (the ABI-encoded return data)

A registered method is looked up by selector before the hub's own (``run`` cannot be
replaced unless ``replace=True``); helpers for such methods: :func:`emit_from_precompile`,
:func:`new_inference_id`, :func:`inference_service` (node -> :class:`InferenceService`
with ``.store`` for node-API results).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

from eth_utils import keccak, to_canonical_address, to_checksum_address

from og_tui.core import constants
from og_tui.core import inference_abi as A
from og_tui.core.fsperm import connect_private, open_private, private_dir
from og_tui.devnet.native import GAS_LOG, GAS_LOG_BYTE, GAS_LOG_TOPIC, NativeCall, NativeRevert, selector

log = logging.getLogger(__name__)

__all__ = [
    "install",
    "inference_service",
    "InferenceService",
    "ResultStore",
    "AttestationKey",
    "register_hub_method",
    "register_precompile_method",
    "hub_methods",
    "precompile_methods",
    "emit_from_precompile",
    "new_inference_id",
    "attestation_digest",
    "ZKML_REFUSAL",
    "INLINE_OUTPUT_ELEMENTS",
    "TEE_ATTESTATION_TENSOR",
    "TEE_SCHEME",
]

HUB_ADDRESS = to_canonical_address(constants.INFERENCE_HUB_ADDRESS)
PRECOMPILE_ADDRESS = to_canonical_address(constants.INFERENCE_PRECOMPILE_ADDRESS)
INFERENCE_RESULT_TOPIC = int.from_bytes(A.INFERENCE_RESULT_TOPIC, "big")
MODEL_INFERENCE_EVENT_TOPIC = int.from_bytes(A.MODEL_INFERENCE_EVENT_TOPIC, "big")

MODE_NAMES = {0: "VANILLA", 1: "ZKML", 2: "TEE"}
ZKML_REFUSAL = "devnet cannot produce ZKML proofs for this model; use VANILLA or TEE"
INLINE_OUTPUT_ELEMENTS = 4096
TEE_ATTESTATION_TENSOR = "tee_attestation"
TEE_SCHEME = "og-devnet-tee-v1"
TEE_NOTE = "devnet key, not hardware: proves which node signed, not that it ran in an enclave"

# --- dispatch hook ---------------------------------------------------------------------

Handler = Callable[[NativeCall], "bytes | None"]
_HUB_METHODS: dict[bytes, tuple[str, Handler]] = {}
_PRECOMPILE_METHODS: dict[bytes, tuple[str, Handler]] = {}
_RESERVED_HUB = {A.RUN_SELECTOR}
_RESERVED_PRECOMPILE = {A.RUN_MODEL_INFERENCE_SELECTOR}


def _as_selector(sel: "bytes | str") -> tuple[bytes, str]:
    if isinstance(sel, (bytes, bytearray)):
        if len(sel) != 4:
            raise ValueError("a selector is 4 bytes")
        return bytes(sel), "0x" + bytes(sel).hex()
    text = str(sel).strip()
    if "(" in text:
        return selector(text), text
    body = text[2:] if text.startswith("0x") else text
    if len(body) != 8:
        raise ValueError(f"not a selector or signature: {sel!r}")
    return bytes.fromhex(body), "0x" + body


def _register(table: dict, reserved: set, sel: "bytes | str", fn: Handler, name: Optional[str], replace: bool) -> bytes:
    raw, label = _as_selector(sel)
    if not callable(fn):
        raise TypeError("handler must be callable: fn(call: NativeCall) -> bytes")
    if not replace and (raw in reserved or raw in table):
        raise ValueError(f"selector {label} is already handled (pass replace=True to override)")
    table[raw] = (name or label, fn)
    return raw


def register_hub_method(sel: "bytes | str", fn: Handler, *, name: Optional[str] = None, replace: bool = False) -> bytes:
    """Serve ``sel`` (4-byte selector, 0x-hex, or canonical signature) on the hub address.

    ``fn(call: NativeCall) -> bytes`` returns the ABI-encoded return data; it may use
    ``call.use_gas``, ``call.emit`` (logs from the hub), :func:`emit_from_precompile`,
    ``call.revert(reason)``. Registration is process-wide and may happen before or
    after nodes start. Returns the 4-byte selector.
    """
    return _register(_HUB_METHODS, _RESERVED_HUB, sel, fn, name, replace)


def register_precompile_method(
    sel: "bytes | str", fn: Handler, *, name: Optional[str] = None, replace: bool = False
) -> bytes:
    """Same as :func:`register_hub_method`, for the precompile address 0x...F4."""
    return _register(_PRECOMPILE_METHODS, _RESERVED_PRECOMPILE, sel, fn, name, replace)


def hub_methods() -> dict[bytes, str]:
    return {k: v[0] for k, v in _HUB_METHODS.items()}


def precompile_methods() -> dict[bytes, str]:
    return {k: v[0] for k, v in _PRECOMPILE_METHODS.items()}


# --- helpers for native methods -----------------------------------------------------------


def emit_from_precompile(call: NativeCall, topics: list, data: bytes = b"") -> None:
    """Add a log attributed to the precompile 0x...F4 (as if the hub had called it)."""
    emit_as(call, PRECOMPILE_ADDRESS, topics, data)


def emit_as(call: NativeCall, address: bytes, topics: list, data: bytes = b"", free_bytes: int = 0) -> None:
    """Log from ``address``; ``free_bytes`` of the data are not charged (e.g. an echo of calldata)."""
    if call.is_static:
        raise NativeRevert("inference: cannot run inside a static call")
    int_topics = tuple(t if isinstance(t, int) else int.from_bytes(t, "big") for t in topics)
    charged = max(0, len(data) - int(free_bytes))
    call.use_gas(GAS_LOG + GAS_LOG_TOPIC * len(int_topics) + GAS_LOG_BYTE * charged, "native LOG")
    call.computation.add_log_entry(address, int_topics, bytes(data))


def new_inference_id(call: NativeCall, salt: bytes = b"") -> str:
    """A deterministic id for an inference in the current transaction.

    Built from the transaction origin, its nonce, the block number and ``salt`` (e.g. a
    digest of the request), so ``eth_estimateGas`` and the mined transaction agree.
    """
    state = call.computation.state
    origin = call.origin
    nonce = state.get_nonce(origin)
    material = origin + nonce.to_bytes(8, "big") + int(call.block_number).to_bytes(8, "big") + bytes(salt)
    return "0x" + keccak(material).hex()


# --- attestation -----------------------------------------------------------------------------


def attestation_digest(chain_id: int, model_cid: str, mode: int, input_hash: bytes, output_hash: bytes) -> bytes:
    """keccak256(abi.encode(string scheme, uint256 chainId, string modelCid, uint8 mode,
    bytes32 inputHash, bytes32 outputHash)), the message the attestation key signs."""
    from eth_abi import encode

    return keccak(
        encode(
            ["string", "uint256", "string", "uint8", "bytes32", "bytes32"],
            [TEE_SCHEME, int(chain_id), model_cid, int(mode), bytes(input_hash), bytes(output_hash)],
        )
    )


class AttestationKey:
    """The node's secp256k1 attestation key, generated once per data dir (file mode 0600)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if self.path.exists():
            key = bytes.fromhex(self.path.read_text().strip())
        else:
            private_dir(self.path.parent)
            key = os.urandom(32)
            with open_private(self.path, "w", exclusive=True) as fh:
                fh.write(key.hex())
        from coincurve import PrivateKey

        self._key = PrivateKey(key)
        pub = self._key.public_key.format(compressed=False)[1:]
        self.address = to_checksum_address(keccak(pub)[12:])

    def sign(self, digest: bytes) -> str:
        sig = self._key.sign_recoverable(digest, hasher=None)  # r || s || recid
        return "0x" + (sig[:64] + bytes([27 + sig[64]])).hex()


# --- node-API result store ---------------------------------------------------------------------


class ResultStore:
    """Inference results by id (SQLite in ``<data_dir>/inference/results.sqlite3``)."""

    def __init__(self, path: Path) -> None:
        self._db = connect_private(path, check_same_thread=False, isolation_level=None)  # 0600 in a 0700 dir
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS results (id TEXT PRIMARY KEY, mode INTEGER, cid TEXT, "
            "block INTEGER, payload TEXT, created REAL)"
        )
        self._lock = threading.Lock()

    def put(self, inference_id: str, mode: int, cid: str, block: int, payload: dict) -> None:
        text = json.dumps(payload, separators=(",", ":"))
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO results (id, mode, cid, block, payload, created) VALUES (?, ?, ?, ?, ?, ?)",
                (inference_id, int(mode), cid, int(block), text, time.time()),
            )

    def get(self, inference_id: str) -> Optional[dict]:
        with self._lock:
            row = self._db.execute("SELECT payload FROM results WHERE id = ?", (inference_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def close(self) -> None:
        with self._lock:
            self._db.close()


def output_json(output: tuple) -> dict:
    """A ``ModelOutput`` tuple in the node API's JSON shape (protocol notes §2)."""
    numbers, strings, jsons = output[0], output[1], output[2]
    return {
        "numbers": [
            {"name": n, "shape": list(shape), "values": [{"value": v, "decimals": d} for v, d in values]}
            for n, values, shape in numbers
        ],
        "strings": [{"name": n, "shape": [len(values)], "values": list(values)} for n, values in strings],
        "jsons": [{"name": n, "value": v} for n, v in jsons],
    }


def result_payload(mode: int, output: tuple) -> dict:
    m = output_json(output)
    if mode == 2:
        inner = {"TeeNodeResult": {"Response": {"VanillaResponse": {"model_output": m}}}}
    elif mode == 1:
        inner = {"ZkmlResult": {"model_output": m}}
    else:
        inner = {"VanillaResult": {"model_output": m}}
    return {"InferenceResult": inner}


# --- the service -----------------------------------------------------------------------------------


@dataclass
class Prepared:
    """A decoded request (cached by calldata digest: estimates re-run transactions)."""

    mode: int
    cid: str
    model_input: tuple
    input_tail: bytes  # canonical ModelInput encoding (tuple member)
    input_hash: bytes  # keccak(abi.encode(ModelInput))


@dataclass
class Executed:
    inference_id: str
    output: tuple  # full ModelOutput tuple (with the attestation tensor for TEE)
    output_tail: bytes  # its encoding
    event_output_tail: bytes  # what the events carry (empty output when too large)


_EMPTY_OUTPUT_TAIL = A.encode_model_output_tail(([], [], [], False))


class InferenceService:
    """Per-node state: model runner, attestation key, result store, request cache."""

    def __init__(self, node: Any) -> None:
        from og_tui.devnet.models import ModelRunner

        self.node = node
        self.data_dir = Path(node.data_dir)
        root = self.data_dir / "inference"
        self.runner = ModelRunner(self._resolve)
        self.attestation = AttestationKey(root / "attestation.key")
        self.store = ResultStore(root / "results.sqlite3")
        self._prepared: dict[bytes, Any] = {}
        self._prepared_order: list[bytes] = []
        self._lock = threading.Lock()
        self.stats = {"requests": 0, "prepared_hits": 0}

    def _resolve(self, cid: str) -> Path:
        from og_tui.devnet.hub import get_service
        from og_tui.devnet.models import NotOnnxModel, UnknownModel

        hub = get_service(self.node)
        try:
            info = hub.blob_info(cid)
        except Exception:
            raise UnknownModel(f"unknown model CID {cid!r}: no such file on this devnet's Model Hub") from None
        if info.get("isOnnx") is False:
            why = info.get("error") or "not an ONNX model"
            raise NotOnnxModel(f"the file {cid} ({info.get('name')}) is not an ONNX model ({why})")
        return Path(info["path"])

    # -- request decoding (cached) -------------------------------------------------------------
    def prepare(self, call: NativeCall, decode: Callable[[bytes], tuple[int, str, tuple]]) -> Prepared:
        key = keccak(call.data)
        with self._lock:
            self.stats["requests"] += 1
            hit = self._prepared.get(key)
            if hit is not None:
                self.stats["prepared_hits"] += 1
        if hit is None:
            try:
                mode, cid, model_input = decode(call.args)
            except A.AbiDecodeError as exc:
                raise NativeRevert(f"inference: malformed call data ({exc})") from None
            tail = A.encode_model_input_tail(model_input)
            hit = Prepared(mode, cid, model_input, tail, keccak(_head_offset() + tail))
            with self._lock:
                self._prepared[key] = hit
                self._prepared_order.append(key)
                while len(self._prepared_order) > 64:
                    self._prepared.pop(self._prepared_order.pop(0), None)
        return hit

    # -- execution ---------------------------------------------------------------------------------
    def execute(self, call: NativeCall, req: Prepared) -> Executed:
        """Run the request, charge gas, store the result, emit ModelInferenceEvent from 0xF4."""
        from og_tui.core.tensors import TensorError, encode_model_output
        from og_tui.devnet.models import ModelError

        if call.is_static:
            raise NativeRevert("inference: cannot run inside a static call")
        mode = req.mode
        if mode not in MODE_NAMES:
            raise NativeRevert(f"inference: unknown inference mode {mode} (0 VANILLA, 1 ZKML, 2 TEE)")
        if mode == 1:
            raise NativeRevert(ZKML_REFUSAL)
        try:
            run = self.runner.run(req.cid, req.model_input, req.input_hash)
        except ModelError as exc:
            raise NativeRevert(f"inference: {exc}") from None
        call.use_gas(run.gas, "model inference")
        try:
            numbers, strings, jsons, _ = encode_model_output(run.outputs)
        except TensorError as exc:
            raise NativeRevert(f"inference: the model output cannot be returned on-chain ({exc})") from None
        output = (numbers, strings, jsons, False)
        if mode == 2:
            output = self._attest(call, req, output)
        output_tail = A.encode_model_output_tail(output)
        inline = run.output_elements <= INLINE_OUTPUT_ELEMENTS
        event_tail = output_tail if inline else _EMPTY_OUTPUT_TAIL
        inference_id = new_inference_id(call, req.input_hash + req.cid.encode() + bytes([mode]))
        self.store.put(inference_id, mode, req.cid, call.block_number, result_payload(mode, output))
        request_tail = A.encode_dynamic_tuple(
            [(False, mode.to_bytes(32, "big")), (True, A.encode_string_tail(req.cid)), (True, req.input_tail)]
        )
        event_data = A.encode_dynamic_tuple(
            [(True, A.encode_string_tail(inference_id)), (True, request_tail), (True, event_tail)]
        )
        # the request echoes the calldata, which the sender already paid for: only the rest is charged
        emit_as(call, PRECOMPILE_ADDRESS, [MODEL_INFERENCE_EVENT_TOPIC], event_data, free_bytes=len(req.input_tail))
        return Executed(inference_id, output, output_tail, event_tail)

    def _attest(self, call: NativeCall, req: Prepared, output: tuple) -> tuple:
        numbers, strings, jsons, sim = output
        output_hash = keccak(_head_offset() + A.encode_model_output_tail(output))
        digest = attestation_digest(call.chain_id, req.cid, req.mode, req.input_hash, output_hash)
        call.use_gas(3_000, "attestation signature")
        att = {
            "scheme": TEE_SCHEME,
            "signer": self.attestation.address,
            "signature": self.attestation.sign(digest),
            "chain_id": int(call.chain_id),
            "model_cid": req.cid,
            "mode": req.mode,
            "input_hash": "0x" + req.input_hash.hex(),
            "output_hash": "0x" + output_hash.hex(),
            "digest": "0x" + digest.hex(),
            "note": TEE_NOTE,
        }
        return (numbers, strings, list(jsons) + [(TEE_ATTESTATION_TENSOR, json.dumps(att, sort_keys=True))], sim)

    def info(self) -> dict:
        return {
            "attestation_signer": self.attestation.address,
            "tee_scheme": TEE_SCHEME,
            "tee_note": TEE_NOTE,
            "zkml": {"supported": False, "reason": ZKML_REFUSAL},
            "inline_output_elements": INLINE_OUTPUT_ELEMENTS,
            "stats": {"model": dict(self.runner.stats), **self.stats},
            "hub_methods": sorted(v for v in hub_methods().values()),
            "precompile_methods": sorted(v for v in precompile_methods().values()),
        }

    def close(self) -> None:
        self.store.close()


def _head_offset() -> bytes:
    """abi.encode(T) of one dynamic T = offset word 0x20 + T's encoding."""
    return (32).to_bytes(32, "big")


# --- the hub contract ----------------------------------------------------------------------------------


class InferenceHub:
    def __init__(self, service: InferenceService) -> None:
        self.service = service

    def __call__(self, call: NativeCall) -> bytes:
        if call.value:
            raise NativeRevert("inference hub: does not accept native tokens")
        sel = call.selector
        extra = _HUB_METHODS.get(sel)
        if extra is not None:
            return extra[1](call) or b""
        if sel == A.RUN_SELECTOR:
            return self.run(call)
        if len(call.data) < 4:
            raise NativeRevert("inference hub: no function selector")
        raise NativeRevert(f"inference hub: unknown function selector 0x{sel.hex()}")

    def run(self, call: NativeCall) -> bytes:
        def decode(args: bytes) -> tuple:
            cid, mode, model_input = A.decode_run_args(args)
            return mode, cid, model_input

        req = self.service.prepare(call, decode)
        done = self.service.execute(call, req)
        call.emit([INFERENCE_RESULT_TOPIC], _head_offset() + done.event_output_tail)
        return _head_offset() + done.output_tail


# --- installation ------------------------------------------------------------------------------------------


def inference_service(node: Any) -> InferenceService:
    """The node's :class:`InferenceService` (created on first use, cached on the node)."""
    service = getattr(node, "_og_inference", None)
    if service is None:
        service = InferenceService(node)
        node._og_inference = service
    return service


def install(node: Any) -> InferenceService:
    """Register the hub and the 0xF4 precompile on ``node`` (called at node start-up)."""
    from og_tui.devnet.precompile_f4 import InferencePrecompile

    service = inference_service(node)
    node.register_native(HUB_ADDRESS, InferenceHub(service), name="InferenceHub")
    node.register_native(PRECOMPILE_ADDRESS, InferencePrecompile(service), name="InferencePrecompile")
    return service
