"""On-chain ONNX inference: ``InferenceClient.infer`` and input templates.

The flow follows the reference SDK (protocol notes §2) and adds what a UI needs:

1. validate and encode the input first (errors name the tensor; NaN/Inf, empty
   tensors, bad types) and check the transaction fits the network's block gas limit
   (calldata floor cost, EIP-7623) *before* anything is sent;
2. a legacy transaction to the hub's ``run(modelId, mode, ModelInput)`` via
   :meth:`ChainClient.send`: pending nonce, ``eth_estimateGas`` x margin (replayed
   with ``eth_call`` for a revert reason), signed locally, sent raw, receipt polled
   (20 ms first poll; devnet mines during ``eth_sendRawTransaction`` so the first
   poll finds it), nonce errors retried ``max_retries`` times;
3. ``InferenceResult`` decoded from the receipt with a numpy ABI decoder; when it
   carries no output, the ``ModelInferenceEvent`` id is looked up on the node API
   (``{api_url}/artela-network/artela-rollkit/inference/tx/{id}``);
4. TEE results carrying a devnet ``tee_attestation`` are verified (signature,
   input hash, output hash); a bad one raises :class:`AttestationError`.

Returns an :class:`InferenceRun` (an :class:`InferenceResult` with
``transaction_hash`` without ``0x`` and ``model_output`` name -> ndarray, plus tx hash,
block, gas, latency, timings, attestation). numpy/eth_abi/coincurve are imported
lazily.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional
from urllib.parse import quote

from og_tui.core import inference_abi as A
from og_tui.core.errors import ChainError, OGError, ValidationError
from og_tui.core.inference_input import (
    check_input,
    fit_outputs,
    input_problems,
    input_template,
    model_signature,
)
from og_tui.core.types import InferenceMode, InferenceResult

if TYPE_CHECKING:
    import httpx
    from eth_account.signers.local import LocalAccount

    from og_tui.core.chain import ChainClient

__all__ = [
    "InferenceClient",
    "fit_outputs",
    "InferenceRun",
    "Attestation",
    "AttestationError",
    "InferenceCancelled",
    "NodeApiError",
    "parse_mode",
    "encode_input",
    "run_calldata",
    "calldata_gas",
    "verify_attestation",
    "input_template",
    "model_signature",
    "input_problems",
    "check_input",
    "NODE_API_PATH",
    "TEE_ATTESTATION_TENSOR",
    "DEFAULT_GAS_MARGIN",
]

NODE_API_PATH = "/artela-network/artela-rollkit/inference/tx/"
TEE_ATTESTATION_TENSOR = "tee_attestation"
TEE_SCHEME = "og-devnet-tee-v1"
DEFAULT_GAS_MARGIN = 1.25
INFERENCE_TX_TIMEOUT = 120.0
GAS_TX = 21_000

StatusCallback = Callable[[str, dict[str, Any]], None]


class AttestationError(OGError):
    default_hint = "The result was not signed by the node it claims; do not trust these outputs."


class InferenceCancelled(OGError):
    def __init__(self, message: str = "Inference cancelled before the transaction was sent.", **kw: Any) -> None:
        super().__init__(message, **kw)


class NodeApiError(OGError):
    default_hint = "Check the API URL of the active profile."


# --- results ---------------------------------------------------------------------------------


@dataclass
class Attestation:
    """A verified devnet TEE attestation (signed by the node's key, not hardware)."""

    signer: str
    signature: str
    model_cid: str
    mode: int
    chain_id: int
    input_hash: str
    output_hash: str
    digest: str
    note: str
    verified: bool = True
    expected_signer: Optional[str] = None  # the node's published key, when checked

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class InferenceRun(InferenceResult):
    """:class:`InferenceResult` plus what the UI shows about the transaction."""

    tx_hash: str = ""  # 0x-prefixed
    block: int = 0
    gas_used: int = 0
    gas_limit: int = 0
    gas_price: int = 0
    fee_wei: int = 0
    latency_s: float = 0.0
    timings: dict[str, Any] = field(default_factory=dict)
    mode: int = 0
    model_cid: str = ""
    inference_id: Optional[str] = None
    source: str = "event"  # "event" | "node-api"
    attestation: Optional[Attestation] = None
    attempts: int = 1
    input_elements: int = 0
    calldata_bytes: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "transaction_hash": self.transaction_hash,
            "block": self.block,
            "gas_used": self.gas_used,
            "fee_wei": self.fee_wei,
            "latency_s": round(self.latency_s, 4),
            "mode": InferenceMode(self.mode).name if self.mode in (0, 1, 2) else self.mode,
            "model_cid": self.model_cid,
            "inference_id": self.inference_id,
            "source": self.source,
            "attestation": self.attestation.as_dict() if self.attestation else None,
            "timings": {k: round(v, 5) for k, v in self.timings.items()},
        }


# --- input ---------------------------------------------------------------------------------------


def parse_mode(mode: Any) -> int:
    """InferenceMode, its int value or its name ("vanilla", "TEE"...) -> 0/1/2."""
    if isinstance(mode, InferenceMode):
        return int(mode)
    if isinstance(mode, str):
        key = mode.strip().upper()
        if key in InferenceMode.__members__:
            return int(InferenceMode[key])
        if key.isdigit():
            mode = int(key)
    if isinstance(mode, int) and not isinstance(mode, bool) and mode in (0, 1, 2):
        return mode
    raise ValidationError(f"Unknown inference mode {mode!r}: use VANILLA, ZKML or TEE.", field="mode")


def encode_input(model_input: Any) -> tuple[list[Any], list[Any]]:
    """Validate ``{name: value}`` and return the ``(numbers, strings)`` ModelInput tuple."""
    from og_tui.core.tensors import TensorError, encode_model_input

    if not isinstance(model_input, Mapping):
        raise ValidationError(
            f"The model input must be a JSON object of tensor name -> values, not {type(model_input).__name__}.",
            field="input",
        )
    if not model_input:
        raise ValidationError("The model input is empty: give at least one tensor.", field="input")
    for name, value in model_input.items():
        if isinstance(value, (list, tuple)) and _is_empty(value):
            raise ValidationError(f"Input tensor {name!r} is empty.", field=str(name))
        size = getattr(value, "size", None)
        if size == 0:
            raise ValidationError(f"Input tensor {name!r} is empty.", field=str(name))
        if isinstance(name, str) and not name:
            raise ValidationError("An input tensor has an empty name.", field="input")
    try:
        return encode_model_input(model_input)
    except TensorError as exc:
        raise ValidationError(_sentence(str(exc)), field="input", hint=exc.hint) from None


def _is_empty(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return len(value) == 0 or all(_is_empty(v) for v in value)
    return False


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def calldata_gas(data: bytes) -> int:
    """Intrinsic gas of a call with ``data`` (max of EIP-2028 cost and EIP-7623 floor)."""
    zeros = data.count(0)
    nonzero = len(data) - zeros
    standard = GAS_TX + 4 * zeros + 16 * nonzero
    floor = GAS_TX + 10 * (zeros + 4 * nonzero)
    return max(standard, floor)


# --- attestation ------------------------------------------------------------------------------------


def _keccak(data: bytes) -> bytes:
    from eth_utils import keccak

    return keccak(data)


def _attestation_digest(chain_id: int, cid: str, mode: int, input_hash: bytes, output_hash: bytes) -> bytes:
    from eth_abi import encode

    return _keccak(
        encode(
            ["string", "uint256", "string", "uint8", "bytes32", "bytes32"],
            [TEE_SCHEME, int(chain_id), cid, int(mode), input_hash, output_hash],
        )
    )


def _recover(digest: bytes, signature_hex: str) -> str:
    from coincurve import PublicKey
    from eth_utils import to_checksum_address

    sig = bytes.fromhex(signature_hex[2:] if signature_hex.startswith("0x") else signature_hex)
    if len(sig) != 65 or sig[64] not in (27, 28):
        raise AttestationError("The TEE attestation signature is malformed.")
    pub = PublicKey.from_signature_and_message(sig[:64] + bytes([sig[64] - 27]), digest, hasher=None)
    return to_checksum_address(_keccak(pub.format(compressed=False)[1:])[12:])


def verify_attestation(
    output: A.ModelOutputValue,
    *,
    model_cid: str,
    mode: int,
    input_tail: bytes,
    chain_id: Optional[int] = None,
    expected_signer: Optional[str] = None,
) -> Optional[Attestation]:
    """Check the ``tee_attestation`` JSON tensor of a decoded ModelOutput tuple.

    Recomputes the input hash (from what we sent), the output hash (the output
    without the attestation tensor, ABI-encoded), the digest, and recovers the signer.
    Returns None when there is no attestation tensor; raises AttestationError when
    anything does not match.
    """
    numbers, strings, jsons, sim = output
    att_text = None
    rest: list[A.JsonTensorValue] = []
    for name, value in jsons:
        if name == TEE_ATTESTATION_TENSOR and att_text is None:
            att_text = value
        else:
            rest.append((name, value))
    if att_text is None:
        return None
    try:
        att = json.loads(att_text)
        signer = str(att["signer"])
        signature = str(att["signature"])
        claimed_chain = int(att["chain_id"])
    except (ValueError, KeyError, TypeError):
        raise AttestationError("The TEE attestation is not valid JSON with signer/signature fields.") from None
    if att.get("scheme") != TEE_SCHEME:
        raise AttestationError(f"Unknown TEE attestation scheme {att.get('scheme')!r}.")
    offset = (32).to_bytes(32, "big")
    input_hash = _keccak(offset + input_tail)
    output_hash = _keccak(offset + A.encode_model_output_tail((numbers, strings, rest, sim)))
    if att.get("input_hash") != "0x" + input_hash.hex():
        raise AttestationError("The TEE attestation was made for a different input than the one sent.")
    if att.get("output_hash") != "0x" + output_hash.hex():
        raise AttestationError("The outputs do not match the TEE attestation (they were changed after signing).")
    if att.get("model_cid") != model_cid or int(att.get("mode", -1)) != int(mode):
        raise AttestationError("The TEE attestation names a different model or mode.")
    if chain_id is not None and claimed_chain != int(chain_id):
        raise AttestationError(f"The TEE attestation is for chain {claimed_chain}, not {chain_id}.")
    digest = _attestation_digest(claimed_chain, model_cid, mode, input_hash, output_hash)
    try:
        recovered = _recover(digest, signature)
    except AttestationError:
        raise
    except Exception:  # noqa: BLE001 - coincurve errors on garbage signatures
        raise AttestationError("The TEE attestation signature does not verify.") from None
    if recovered.lower() != signer.lower():
        raise AttestationError("The TEE attestation signature does not verify for the signer it names.")
    if expected_signer and recovered.lower() != expected_signer.lower():
        raise AttestationError(
            f"The TEE attestation was signed by {recovered}, not by the node's published key {expected_signer}."
        )
    return Attestation(
        signer=recovered,
        signature=signature,
        model_cid=model_cid,
        mode=int(mode),
        chain_id=claimed_chain,
        input_hash="0x" + input_hash.hex(),
        output_hash="0x" + output_hash.hex(),
        digest="0x" + digest.hex(),
        note=str(att.get("note", "")),
        expected_signer=expected_signer,
    )


def run_calldata(model_cid: str, mode: int, model_input: Mapping[str, Any]) -> bytes:
    """Calldata of the hub's ``run(modelId, mode, ModelInput)`` (what :meth:`InferenceClient.infer` sends)."""
    numbers, strings = encode_input(model_input)
    tail = A.encode_model_input_tail((numbers, strings))
    return A.RUN_SELECTOR + A.encode_dynamic_tuple(
        [(True, A.encode_string_tail(model_cid)), (False, int(mode).to_bytes(32, "big")), (True, tail)]
    )


# --- the client ----------------------------------------------------------------------------------------


class InferenceClient:
    """Runs inferences on one hub contract through a :class:`ChainClient`."""

    def __init__(
        self, chain: ChainClient, contract_address: str, api_url: Optional[str] = None, *, http_timeout: float = 30.0
    ) -> None:
        self.chain = chain
        self.contract_address = contract_address
        self.api_url = api_url.rstrip("/") if api_url else None
        self.http_timeout = http_timeout
        self._gas_limit: Optional[int] = None
        self._expected_signer: Optional[str] = None
        self._http: Optional[httpx.Client] = None

    # -- helpers ---------------------------------------------------------------------------------
    def block_gas_limit(self) -> int:
        if self._gas_limit is None:
            block = self.chain.rpc("eth_getBlockByNumber", ["latest", False]) or {}
            value = block.get("gasLimit")
            self._gas_limit = int(value, 16) if isinstance(value, str) else int(value or 30_000_000)
        return self._gas_limit

    def _client(self) -> httpx.Client:
        if self._http is None:
            import httpx

            self._http = httpx.Client(timeout=self.http_timeout)
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def node_signer(self) -> Optional[str]:
        """The devnet's published attestation address (None when the node does not say)."""
        if self._expected_signer is None and self.api_url:
            try:
                resp = self._client().get(f"{self.api_url}/devnet/inference")
                if resp.status_code == 200:
                    self._expected_signer = resp.json().get("attestation_signer") or ""
                else:
                    self._expected_signer = ""
            except Exception:  # noqa: BLE001 - not a devnet: nothing to pin
                self._expected_signer = ""
        return self._expected_signer or None

    def fetch_node_result(self, inference_id: str) -> dict[str, Any]:
        """The node API's ``model_output`` JSON for ``inference_id``."""
        if not self.api_url:
            raise NodeApiError("The inference event carried no output and no node API URL is configured.")
        import httpx

        url = f"{self.api_url}{NODE_API_PATH}{quote(inference_id, safe='')}"
        try:
            resp = self._client().get(url)
        except httpx.HTTPError as exc:
            raise NodeApiError(f"Cannot reach the node API at {self.api_url} ({type(exc).__name__}).") from None
        if resp.status_code != 200:
            raise NodeApiError(f"Failed to get inference result: HTTP {resp.status_code} - {resp.text[:200]}")
        try:
            results = resp.json()["inference_results"]
            if not results:
                raise NodeApiError(f"The node API has no result for inference {inference_id} yet.")
            payload = json.loads(base64.b64decode(results[0]).decode("utf-8"))
            inner = payload["InferenceResult"]
        except NodeApiError:
            raise
        except (ValueError, KeyError, TypeError):
            raise NodeApiError("The node API answered with an unexpected inference result shape.") from None
        for path in (("VanillaResult",), ("ZkmlResult",), ("TeeNodeResult", "Response", "VanillaResponse")):
            node = inner
            for key in path:
                node = node.get(key) if isinstance(node, dict) else None
            output = node.get("model_output") if isinstance(node, dict) else None
            if isinstance(output, dict):
                return output
        raise NodeApiError("The node API result holds no model_output.")

    # -- infer ------------------------------------------------------------------------------------
    def estimate_fee(
        self, sender: str, model_cid: str, mode: Any, model_input: Any, *, gas_margin: float = DEFAULT_GAS_MARGIN
    ) -> tuple[int, int, int]:
        """``(gas, gas_price, fee_wei)`` the inference would cost at most (estimate x margin);
        nothing is signed. Raises what :meth:`infer` would raise for a bad input or a revert."""
        data = run_calldata(model_cid, parse_mode(mode), model_input)
        gas = self.chain.estimate_gas({"from": sender, "to": self.contract_address, "data": "0x" + data.hex()})
        gas = int(gas * gas_margin)
        price = self.chain.gas_price()
        return gas, price, gas * price

    def infer(
        self,
        signer: LocalAccount,
        model_cid: str,
        mode: Any,
        model_input: Any,
        max_retries: Optional[int] = None,
        on_status: Optional[StatusCallback] = None,
        cancel: Optional[Callable[[], bool]] = None,
        *,
        gas_margin: float = DEFAULT_GAS_MARGIN,
        timeout: float = INFERENCE_TX_TIMEOUT,
    ) -> InferenceRun:
        t0 = time.perf_counter()
        mode_i = parse_mode(mode)
        if not isinstance(model_cid, str) or not model_cid.strip():
            raise ValidationError("Give a model CID.", field="model")
        model_cid = model_cid.strip()

        def status(stage: str, info: dict[str, Any]) -> None:
            marks[stage] = time.perf_counter()
            if cancel is not None and stage in ("encoding", "estimating", "signed") and cancel():
                raise InferenceCancelled()
            if on_status is not None:
                on_status(stage, info)

        marks: dict[str, Any] = {}
        status("encoding", {"model_cid": model_cid, "mode": mode_i})
        numbers, strings = encode_input(model_input)
        t_enc = time.perf_counter()
        input_tail = A.encode_model_input_tail((numbers, strings))
        data = A.RUN_SELECTOR + A.encode_dynamic_tuple(
            [(True, A.encode_string_tail(model_cid)), (False, mode_i.to_bytes(32, "big")), (True, input_tail)]
        )
        elements = sum(len(t[1]) for t in numbers) + sum(len(t[1]) for t in strings)
        intrinsic = calldata_gas(data)
        limit = self.block_gas_limit()
        if intrinsic > limit:
            per = max(1, (intrinsic - GAS_TX) // max(1, elements))
            fits = max(0, (limit - GAS_TX - 200_000) // per)
            raise ValidationError(
                f"The input is too large for one transaction: {elements:,} values ({len(data) / 1e6:.1f} MB of "
                f"calldata) need at least {intrinsic:,} gas, over the network's block gas limit of {limit:,}. "
                f"About {fits:,} values fit.",
                field="input",
                hint="Send a smaller tensor (fewer elements), or split the input across several inferences.",
            )
        t_abi = time.perf_counter()

        tx_fields: dict[str, Any] = {"to": self.contract_address, "data": data, "value": 0}
        margin = gas_margin
        if intrinsic * gas_margin > limit * 0.5:
            # big calldata: estimate ourselves so the margin cannot push gas over the block limit
            status("estimating", {"to": self.contract_address})
            estimate = self.chain.estimate_gas({"from": signer.address, "to": self.contract_address, "data": data})
            tx_fields["gas"] = min(limit, int(estimate * gas_margin))
        retries = 5 if max_retries is None else max(1, int(max_retries))
        outcome = self.chain.send(
            signer,
            tx_fields,
            on_status=status,
            gas_margin=margin,
            max_retries=retries,
            receipt_timeout=timeout,
            label="inference",
        )
        t_mined = time.perf_counter()
        output, inference_id, source = self._output_from_receipt(outcome.receipt)
        if output is None:
            raise ChainError(
                "The inference transaction was mined but its receipt has no InferenceResult event.",
                hint="Check that the contract address of the profile is an OpenGradient inference hub.",
            )
        from og_tui.core.tensors import decode_model_output

        if _is_empty_output(output) and inference_id:
            status("fetching", {"inference_id": inference_id})
            m = self.fetch_node_result(inference_id)
            output = _output_tuple_from_json(m)
            source = "node-api"
        attestation = None
        if mode_i == int(InferenceMode.TEE):
            attestation = verify_attestation(
                output,
                model_cid=model_cid,
                mode=mode_i,
                input_tail=input_tail,
                chain_id=self.chain.chain_id(),
                expected_signer=self.node_signer(),
            )
        jsons = [(n, v) for n, v in output[2] if not (attestation is not None and n == TEE_ATTESTATION_TENSOR)]
        model_output = decode_model_output((output[0], output[1], jsons, output[3]))
        t_done = time.perf_counter()
        sent = marks.get("sent", t_mined)
        timings = {
            "validate_encode": t_enc - t0,
            "abi_encode": t_abi - t_enc,
            "estimate_sign_send": sent - t_abi,
            "receipt_wait": t_mined - sent,
            "decode": t_done - t_mined,
            "total": t_done - t0,
        }
        return InferenceRun(
            transaction_hash=outcome.hash[2:] if outcome.hash.startswith("0x") else outcome.hash,
            model_output=model_output,
            tx_hash=outcome.hash,
            block=outcome.block,
            gas_used=outcome.gas_used,
            gas_limit=int(tx_fields.get("gas") or 0),
            gas_price=outcome.gas_price,
            fee_wei=outcome.fee_wei,
            latency_s=t_done - t0,
            timings=timings,
            mode=mode_i,
            model_cid=model_cid,
            inference_id=inference_id,
            source=source,
            attestation=attestation,
            attempts=outcome.attempts,
            input_elements=elements,
            calldata_bytes=len(data),
        )

    @staticmethod
    def _output_from_receipt(receipt: dict[str, Any]) -> tuple[Optional[A.ModelOutputValue], Optional[str], str]:
        result_topic = "0x" + A.INFERENCE_RESULT_TOPIC.hex()
        event_topic = "0x" + A.MODEL_INFERENCE_EVENT_TOPIC.hex()
        output = None
        inference_id = None
        for entry in receipt.get("logs") or []:
            topics = [str(t).lower() for t in entry.get("topics") or []]
            if not topics:
                continue
            raw = bytes.fromhex(str(entry.get("data") or "0x")[2:])
            if topics[0] == result_topic and output is None:
                output = A.decode_model_output(raw, _first_offset(raw))
            elif topics[0] == event_topic and inference_id is None:
                try:
                    inference_id = A.decode_string(raw, _first_offset(raw))
                except A.AbiDecodeError:
                    pass
        return output, inference_id, "event"


def _first_offset(raw: bytes) -> int:
    if len(raw) < 32:
        raise A.AbiDecodeError("event data too short")
    return int.from_bytes(raw[:32], "big")


def _is_empty_output(output: A.ModelOutputValue) -> bool:
    return not output[0] and not output[1] and not output[2]


def _output_tuple_from_json(m: dict[str, Any]) -> A.ModelOutputValue:
    numbers = [
        (
            str(t["name"]),
            [(int(v["value"]), int(v["decimals"])) for v in t.get("values") or []],
            [int(s) for s in t.get("shape") or []],
        )
        for t in m.get("numbers") or []
    ]
    strings = [(str(t["name"]), [str(v) for v in t.get("values") or []]) for t in m.get("strings") or []]
    jsons = [(str(t["name"]), str(t["value"])) for t in m.get("jsons") or []]
    return numbers, strings, jsons, False
