"""og_tui.sdk's ``ModelHub`` and ``Alpha`` have the parameters and defaults of ``opengradient`` 1.x's.

The reference's side is read from opengradient==1.1.4 itself, in its own environment;
og_tui.sdk may add keyword-only parameters after the reference's (``profile``, ``rpc_url``).
"""

from __future__ import annotations

import inspect
import json
import subprocess

import pytest

from .refenv import SIG_SOURCE, reference_python
from .test_api_parity import _sig

DUMP = (
    SIG_SOURCE
    + r"""
import inspect, json
from enum import Enum
import opengradient as og


print(json.dumps({cls: {n: sig(getattr(getattr(og, cls), n)) for n, f in vars(getattr(og, cls)).items()
                        if (not n.startswith("_") or n == "__init__") and callable(f)}
                  for cls in ("ModelHub", "Alpha")}))
"""
)


@pytest.fixture(scope="module")
def reference():
    proc = subprocess.run([reference_python(generation=1), "-c", DUMP], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("cls_name", ["ModelHub", "Alpha"])
def test_split_clients_same_methods_parameters_and_defaults(reference, cls_name):
    import og_tui.sdk as og

    cls = getattr(og, cls_name)
    assert reference[cls_name], cls_name
    for name, params in reference[cls_name].items():
        assert hasattr(cls, name), f"{cls_name}.{name}"
        fn = getattr(cls, name)
        ours = _sig(fn)
        extra = ours[len(params) :]
        assert ours[: len(params)] == params, f"{cls_name}.{name}"
        kinds = {p.name: p.kind for p in inspect.signature(fn).parameters.values()}
        assert all(kinds[p] is inspect.Parameter.KEYWORD_ONLY for p, _ in extra), f"{cls_name}.{name}: {extra}"
