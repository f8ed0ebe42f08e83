"""Tensor codec throughput: numpy <-> Number tuples, and with eth_abi encoding.

Prints elements/s; asserts nothing. Run: ``python -m bench codec`` or
``python -m bench.codec_bench``.
"""

from __future__ import annotations

import time

N_LARGE = 1_000_000
N_ABI = 100_000
MODEL_INPUT_TYPE = "((string,(int128,int128)[],uint32[])[],(string,string[])[])"
MODEL_OUTPUT_TYPE = "((string,(int128,int128)[],uint32[])[],(string,string[])[],(string,string)[],bool)"


def _best(fn, repeat: int = 3) -> tuple[float, object]:
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:>12,.0f} elem/s ({seconds * 1000:8.1f} ms)"


def main() -> None:
    import numpy as np
    from eth_abi import decode, encode

    from og_tui.core.tensors import decode_model_output, encode_model_input, encode_model_output

    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        arr = rng.standard_normal(N_LARGE).astype(dtype)
        name = np.dtype(dtype).name
        t_enc, (numbers, _) = _best(lambda: encode_model_input({"x": arr}))
        output = (numbers, [], [], False)
        t_dec, _ = _best(lambda: decode_model_output(output))
        t_exact, _ = _best(lambda: decode_model_output(output, exact=True))
        print(f"{name} 1e6   encode           {_rate(N_LARGE, t_enc)}")
        print(f"{name} 1e6   decode float32   {_rate(N_LARGE, t_dec)}")
        print(f"{name} 1e6   decode exact     {_rate(N_LARGE, t_exact)}")

    ints = rng.integers(np.iinfo(np.int64).min, np.iinfo(np.int64).max, N_LARGE, dtype=np.int64)
    t_enc, (numbers, _) = _best(lambda: encode_model_input({"i": ints}))
    t_dec, _ = _best(lambda: decode_model_output((numbers, [], [], False), exact=True))
    print(f"int64   1e6   encode           {_rate(N_LARGE, t_enc)}")
    print(f"int64   1e6   decode exact     {_rate(N_LARGE, t_dec)}")

    for dtype in (np.float32, np.float64):
        arr = rng.standard_normal(N_ABI).astype(dtype)
        name = np.dtype(dtype).name

        def encode_input():
            return encode([MODEL_INPUT_TYPE], [encode_model_input({"x": arr})])

        t_in, blob = _best(encode_input, repeat=1)
        t_abi_dec, _ = _best(lambda: decode([MODEL_INPUT_TYPE], blob), repeat=1)
        out_tuple = encode_model_output({"y": arr})
        t_out_enc, out_blob = _best(lambda: encode([MODEL_OUTPUT_TYPE], [out_tuple]), repeat=1)

        def decode_output():
            (decoded,) = decode([MODEL_OUTPUT_TYPE], out_blob)
            return decode_model_output(decoded)

        t_out_dec, _ = _best(decode_output, repeat=1)
        print(f"{name} 1e5   numpy->ABI bytes {_rate(N_ABI, t_in)}  ({len(blob):,} bytes)")
        print(f"{name} 1e5   ABI bytes->tuple {_rate(N_ABI, t_abi_dec)}  (eth_abi only)")
        print(f"{name} 1e5   tuple->ABI bytes {_rate(N_ABI, t_out_enc)}  (eth_abi only, ModelOutput)")
        print(f"{name} 1e5   ABI bytes->numpy {_rate(N_ABI, t_out_dec)}  (ModelOutput)")


if __name__ == "__main__":
    main()
