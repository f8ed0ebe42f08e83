"""Fast ABI codec for the inference tuples (``ModelInput``, ``ModelOutput``, requests).

eth_abi is exact but pure Python: encoding a 100,000-element tensor takes ~5 s and
decoding ~1 s. The ``Number`` arrays dominate, so they are packed and unpacked here
with numpy (two 32-byte words per element, int128 two's complement); everything else
is plain ABI layout code. The output is byte-for-byte what ``eth_abi.encode`` gives
for canonical encodings (tests/inference/test_abi_codec.py checks it with
hypothesis). Decoding follows the offsets, so any valid encoding is accepted; a
malformed buffer raises :class:`AbiDecodeError`.

Shapes used (protocol notes §2)::

    Number       = (int128 value, int128 decimals)
    NumberTensor = (string name, Number[] values, uint32[] shape)
    StringTensor = (string name, string[] values)
    JsonTensor   = (string name, string value)
    ModelInput   = (NumberTensor[] numbers, StringTensor[] strings)
    ModelOutput  = (NumberTensor[] numbers, StringTensor[] strings, JsonTensor[] jsons, bool is_simulation_result)

numpy is imported inside the functions (importing this module is cheap).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, ParamSpec, Sequence, TypeVar

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "MODEL_INPUT",
    "MODEL_OUTPUT",
    "INFERENCE_REQUEST",
    "RUN_SELECTOR",
    "RUN_MODEL_INFERENCE_SELECTOR",
    "INFERENCE_RESULT_TOPIC",
    "MODEL_INFERENCE_EVENT_TOPIC",
    "AbiDecodeError",
    "encode_model_input_tail",
    "encode_model_output_tail",
    "encode_string_tail",
    "encode_dynamic_tuple",
    "encode_run_call",
    "decode_model_input",
    "decode_model_output",
    "decode_run_args",
    "decode_request",
    "decode_string",
    "decode_inference_event",
]

NUMBER_TENSOR = "(string,(int128,int128)[],uint32[])"
STRING_TENSOR = "(string,string[])"
JSON_TENSOR = "(string,string)"
MODEL_INPUT = f"({NUMBER_TENSOR}[],{STRING_TENSOR}[])"
MODEL_OUTPUT = f"({NUMBER_TENSOR}[],{STRING_TENSOR}[],{JSON_TENSOR}[],bool)"
INFERENCE_REQUEST = f"(uint8,string,{MODEL_INPUT})"

# keccak of the canonical signatures (checked against load_abi by the tests)
RUN_SELECTOR = bytes.fromhex("cbf09d80")  # run(string,uint8,ModelInput)
RUN_MODEL_INFERENCE_SELECTOR = bytes.fromhex("7289e9c2")  # runModelInference((uint8,string,ModelInput))
INFERENCE_RESULT_TOPIC = bytes.fromhex("c1396ff68bc2d8630100df29ce5561fa99078c602e8676ab72a53e37095d7168")
MODEL_INFERENCE_EVENT_TOPIC = bytes.fromhex("1b283af3452f3718585ce100f80d9aa81fc60924db4a582a36db6aae3b109d87")

# decoded values: tuples shaped like eth_abi's (lists where eth_abi gives tuples for arrays)
NumberTensorValue = tuple[str, list[tuple[int, int]], list[int]]
StringTensorValue = tuple[str, list[str]]
JsonTensorValue = tuple[str, str]
ModelInputValue = tuple[list[NumberTensorValue], list[StringTensorValue]]
ModelOutputValue = tuple[list[NumberTensorValue], list[StringTensorValue], list[JsonTensorValue], bool]

_T = TypeVar("_T")
_P = ParamSpec("_P")

INT128_MIN = -(2**127)
INT128_MAX = 2**127 - 1
_W = 32


class AbiDecodeError(ValueError):
    """The bytes are not a valid ABI encoding of the expected type."""


# ---------------------------------------------------------------------------------
# encoding


def _u(n: int) -> bytes:
    return int(n).to_bytes(32, "big")


def _bytes_tail(data: bytes) -> bytes:
    pad = (-len(data)) % 32
    return _u(len(data)) + data + b"\x00" * pad


def encode_string_tail(text: str) -> bytes:
    """Encoding of a ``string`` value (length word + padded UTF-8)."""
    return _bytes_tail(text.encode("utf-8"))


def encode_dynamic_tuple(parts: Sequence[tuple[bool, bytes]]) -> bytes:
    """A tuple from its encoded members: ``(is_dynamic, encoding)``.

    Static members are inlined in the head; dynamic ones get an offset word.
    """
    head_len = sum(len(enc) if not dyn else 32 for dyn, enc in parts)
    head = bytearray()
    tail = bytearray()
    for dyn, enc in parts:
        if dyn:
            head += _u(head_len + len(tail))
            tail += enc
        else:
            head += enc
    return bytes(head + tail)


def _dynamic_array(items: Sequence[bytes]) -> bytes:
    """``T[]`` of dynamic ``T`` from the members' encodings."""
    out = bytearray(_u(len(items)))
    off = 32 * len(items)
    for enc in items:
        out += _u(off)
        off += len(enc)
    for enc in items:
        out += enc
    return bytes(out)


def _int_words(values: Any) -> npt.NDArray[np.uint8]:
    """int64 numpy array -> (n, 32) uint8 big-endian two's complement words."""
    import numpy as np

    v = np.ascontiguousarray(values, dtype=np.int64)
    n = v.size
    words = np.zeros((n, 32), dtype=np.uint8)
    words[:, 24:] = v.astype(">i8").view(np.uint8).reshape(n, 8)
    neg = v < 0
    if neg.any():
        words[neg, :24] = 0xFF
    return words


def _numbers_tail(values: Any) -> bytes:
    """``Number[]`` from a list of (value, decimals) pairs or an (n, 2) int array."""
    import numpy as np

    n = len(values)
    if n == 0:
        return _u(0)
    arr = None
    if isinstance(values, np.ndarray):
        arr = values.astype(np.int64, copy=False).reshape(n, 2)
    else:
        try:
            arr = np.array(values, dtype=np.int64).reshape(n, 2)
        except (OverflowError, ValueError, TypeError):
            arr = None
    if arr is not None:
        words = np.empty((n, 64), dtype=np.uint8)
        words[:, :32] = _int_words(arr[:, 0])
        words[:, 32:] = _int_words(arr[:, 1])
        return _u(n) + words.tobytes()
    out = bytearray(_u(n))
    for value, decimals in values:
        for x in (int(value), int(decimals)):
            if not INT128_MIN <= x <= INT128_MAX:
                raise ValueError(f"{x} does not fit int128")
            out += x.to_bytes(32, "big", signed=True)
    return bytes(out)


def _uint_array_tail(values: Sequence[int]) -> bytes:
    return _u(len(values)) + b"".join(_u(int(v)) for v in values)


def _number_tensor(t: Any) -> bytes:
    name, values, shape = t[0], t[1], t[2]
    return encode_dynamic_tuple(
        [(True, encode_string_tail(str(name))), (True, _numbers_tail(values)), (True, _uint_array_tail(shape))]
    )


def _string_array_tail(values: Sequence[str]) -> bytes:
    return _dynamic_array([encode_string_tail(str(s)) for s in values])


def _string_tensor(t: Any) -> bytes:
    return encode_dynamic_tuple([(True, encode_string_tail(str(t[0]))), (True, _string_array_tail(t[1]))])


def _json_tensor(t: Any) -> bytes:
    return encode_dynamic_tuple([(True, encode_string_tail(str(t[0]))), (True, encode_string_tail(str(t[1])))])


def encode_model_input_tail(model_input: Any) -> bytes:
    """Encoding of a ``ModelInput`` value ``(numbers, strings)`` (as a tuple member)."""
    numbers, strings = model_input[0], model_input[1]
    return encode_dynamic_tuple(
        [
            (True, _dynamic_array([_number_tensor(t) for t in numbers])),
            (True, _dynamic_array([_string_tensor(t) for t in strings])),
        ]
    )


def encode_model_output_tail(model_output: Any) -> bytes:
    """Encoding of a ``ModelOutput`` value ``(numbers, strings, jsons, is_sim)``."""
    numbers, strings, jsons, sim = model_output[0], model_output[1], model_output[2], model_output[3]
    return encode_dynamic_tuple(
        [
            (True, _dynamic_array([_number_tensor(t) for t in numbers])),
            (True, _dynamic_array([_string_tensor(t) for t in strings])),
            (True, _dynamic_array([_json_tensor(t) for t in jsons])),
            (False, _u(1 if sim else 0)),
        ]
    )


def encode_run_call(model_cid: str, mode: int, model_input: Any) -> bytes:
    """Calldata of hub ``run(string modelId, uint8 inferenceMode, ModelInput modelInput)``."""
    return RUN_SELECTOR + encode_dynamic_tuple(
        [(True, encode_string_tail(model_cid)), (False, _u(int(mode))), (True, encode_model_input_tail(model_input))]
    )


# ---------------------------------------------------------------------------------
# decoding


class _Reader:
    __slots__ = ("buf",)

    def __init__(self, buf: bytes) -> None:
        self.buf = memoryview(buf)

    def word(self, pos: int) -> int:
        if pos < 0 or pos + 32 > len(self.buf):
            raise AbiDecodeError("truncated ABI data")
        return int.from_bytes(self.buf[pos : pos + 32], "big")

    def offset(self, base: int, pos: int) -> int:
        off = self.word(pos)
        if off > len(self.buf):
            raise AbiDecodeError("ABI offset out of range")
        return base + off

    def length(self, pos: int, unit: int = 32) -> int:
        n = self.word(pos)
        if n * unit > len(self.buf):
            raise AbiDecodeError("ABI array length out of range")
        return n

    def string(self, pos: int) -> str:
        n = self.length(pos, 1)
        start = pos + 32
        if start + n > len(self.buf):
            raise AbiDecodeError("truncated string")
        try:
            return bytes(self.buf[start : start + n]).decode("utf-8")
        except UnicodeDecodeError:
            raise AbiDecodeError("string is not valid UTF-8") from None

    def dyn_array(self, pos: int) -> list[int]:
        """Start positions of the members of a dynamic-member array at ``pos``."""
        n = self.length(pos)
        base = pos + 32
        return [self.offset(base, base + 32 * i) for i in range(n)]

    def numbers(self, pos: int) -> list[tuple[int, int]]:
        import numpy as np

        n = self.length(pos, 64)
        start = pos + 32
        end = start + 64 * n
        if end > len(self.buf):
            raise AbiDecodeError("truncated Number array")
        if n == 0:
            return []
        raw = np.frombuffer(self.buf[start:end], dtype=np.uint8).reshape(n, 2, 32)
        low = raw[:, :, 24:].copy().view(">i8").reshape(n, 2).astype(np.int64)
        high = raw[:, :, :24]
        sign = np.where(low < 0, 0xFF, 0x00).astype(np.uint8)
        fits = (high == sign[:, :, None]).all(axis=2)
        pairs = list(zip(low[:, 0].tolist(), low[:, 1].tolist()))
        if not fits.all():
            for i in np.flatnonzero(~fits.all(axis=1)).tolist():
                base = start + 64 * i
                v = int.from_bytes(self.buf[base : base + 32], "big", signed=True)
                d = int.from_bytes(self.buf[base + 32 : base + 64], "big", signed=True)
                for x in (v, d):
                    # int128 values are sign-extended to 256 bits
                    if not INT128_MIN <= x <= INT128_MAX:
                        raise AbiDecodeError("Number does not fit int128")
                pairs[i] = (v, d)
        return pairs

    def uints(self, pos: int, bits: int = 32) -> list[int]:
        n = self.length(pos)
        out = [self.word(pos + 32 + 32 * i) for i in range(n)]
        if any(x >= 1 << bits for x in out):
            raise AbiDecodeError(f"uint{bits} out of range")
        return out

    def strings(self, pos: int) -> list[str]:
        return [self.string(p) for p in self.dyn_array(pos)]


def _number_tensors(r: _Reader, pos: int) -> list[NumberTensorValue]:
    out = []
    for p in r.dyn_array(pos):
        name = r.string(r.offset(p, p))
        values = r.numbers(r.offset(p, p + 32))
        shape = r.uints(r.offset(p, p + 64))
        out.append((name, values, shape))
    return out


def _string_tensors(r: _Reader, pos: int) -> list[StringTensorValue]:
    out = []
    for p in r.dyn_array(pos):
        out.append((r.string(r.offset(p, p)), r.strings(r.offset(p, p + 32))))
    return out


def _json_tensors(r: _Reader, pos: int) -> list[JsonTensorValue]:
    out = []
    for p in r.dyn_array(pos):
        out.append((r.string(r.offset(p, p)), r.string(r.offset(p, p + 32))))
    return out


def _model_input_at(r: _Reader, p: int) -> ModelInputValue:
    return (_number_tensors(r, r.offset(p, p)), _string_tensors(r, r.offset(p, p + 32)))


def _model_output_at(r: _Reader, p: int) -> ModelOutputValue:
    sim = r.word(p + 96)
    if sim > 1:
        raise AbiDecodeError("bool out of range")
    return (
        _number_tensors(r, r.offset(p, p)),
        _string_tensors(r, r.offset(p, p + 32)),
        _json_tensors(r, r.offset(p, p + 64)),
        bool(sim),
    )


def _guard(fn: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
    try:
        return fn(*args, **kwargs)
    except AbiDecodeError:
        raise
    except (ValueError, IndexError, OverflowError) as exc:
        raise AbiDecodeError(f"malformed ABI data ({exc})") from None


def decode_model_input(data: bytes, pos: int = 0) -> ModelInputValue:
    """``ModelInput`` whose encoding starts at ``pos`` (a tuple member tail)."""
    return _guard(_model_input_at, _Reader(data), pos)


def decode_model_output(data: bytes, pos: int = 0) -> ModelOutputValue:
    """``ModelOutput`` whose encoding starts at ``pos``."""
    return _guard(_model_output_at, _Reader(data), pos)


def decode_string(data: bytes, pos: int = 0) -> str:
    return _guard(lambda: _Reader(data).string(pos))


def decode_run_args(args: bytes) -> tuple[str, int, ModelInputValue]:
    """``run(string,uint8,ModelInput)`` arguments (calldata after the selector)."""

    def go() -> tuple[str, int, ModelInputValue]:
        r = _Reader(args)
        cid = r.string(r.offset(0, 0))
        mode = r.word(32)
        if mode > 255:
            raise AbiDecodeError("uint8 out of range")
        return cid, mode, _model_input_at(r, r.offset(0, 64))

    return _guard(go)


def decode_request(args: bytes) -> tuple[int, str, ModelInputValue]:
    """``runModelInference((uint8 mode, string modelCID, ModelInput input))`` arguments."""

    def go() -> tuple[int, str, ModelInputValue]:
        r = _Reader(args)
        p = r.offset(0, 0)
        mode = r.word(p)
        if mode > 255:
            raise AbiDecodeError("uint8 out of range")
        return mode, r.string(r.offset(p, p + 32)), _model_input_at(r, r.offset(p, p + 64))

    return _guard(go)


def decode_inference_event(data: bytes) -> tuple[str, tuple[int, str, ModelInputValue], ModelOutputValue]:
    """``ModelInferenceEvent`` data -> (inferenceID, (mode, cid, input), output)."""

    def go() -> tuple[str, tuple[int, str, ModelInputValue], ModelOutputValue]:
        r = _Reader(data)
        inference_id = r.string(r.offset(0, 0))
        p = r.offset(0, 32)
        request = (r.word(p), r.string(r.offset(p, p + 32)), _model_input_at(r, r.offset(p, p + 64)))
        return inference_id, request, _model_output_at(r, r.offset(0, 64))

    return _guard(go)
