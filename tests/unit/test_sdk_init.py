"""og_tui.sdk.init matches the reference SDK and every function needs init first."""

from __future__ import annotations

import inspect

import pytest

import og_tui.sdk as og
from og_tui.sdk import _state

# From the reference SDK docs (seed 000): def init(email: str, password: str,
# private_key: str, rpc_url='https://ogevmdevnet.opengradient.ai',
# api_url='https://sdk-devnet.opengradient.ai',
# contract_address='0x8383C9bD7462F12Eb996DD02F78234C0421A6FaE')
SEED_INIT = [
    ("email", inspect.Parameter.empty),
    ("password", inspect.Parameter.empty),
    ("private_key", inspect.Parameter.empty),
    ("rpc_url", "https://ogevmdevnet.opengradient.ai"),
    ("api_url", "https://sdk-devnet.opengradient.ai"),
    ("contract_address", "0x8383C9bD7462F12Eb996DD02F78234C0421A6FaE"),
]

KEY = "0x" + "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
ADDRESS = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"


@pytest.fixture(autouse=True)
def _reset():
    _state.set_client(None)
    yield
    _state.set_client(None)


def test_init_signature_matches_seed():
    params = list(inspect.signature(og.init).parameters.values())
    assert [(p.name, p.default) for p in params[: len(SEED_INIT)]] == SEED_INIT
    # our only addition: a keyword with a None default, after the seed's parameters
    assert [(p.name, p.default) for p in params[len(SEED_INIT) :]] == [("profile", None)]
    for p in params:
        assert p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD


def _public_functions():
    for name in og.__all__:
        obj = getattr(og, name)
        if inspect.isfunction(obj) and name not in ("init", "new_client"):
            yield name, obj


def test_require_client_before_init():
    with pytest.raises(RuntimeError, match=r"not initialized.*og_tui\.sdk\.init"):
        _state._require_client()


def test_sdk_exports_its_feature_functions():
    names = {n for n, _ in _public_functions()}
    assert {"login", "create_model", "upload", "list_files", "llm_chat", "llm_completion", "infer"} <= names


@pytest.mark.parametrize("name", [n for n, _ in _public_functions()])
def test_every_function_needs_init(name):
    fn = getattr(og, name)
    args = [
        None
        for p in inspect.signature(fn).parameters.values()
        if p.default is inspect.Parameter.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    with pytest.raises(RuntimeError, match="not initialized"):
        fn(*args)


def test_all_names_exist_and_types_reexported():
    from og_tui.core import types

    for name in og.__all__:
        assert hasattr(og, name), name
    for name in types.__all__:
        assert getattr(og, name) is getattr(types, name)
    assert og.InferenceMode.VANILLA == 0 and og.LlmInferenceMode.TEE == 1


def test_init_builds_signer_without_keeping_key():
    client = og.init("a@b.c", "pw", KEY)
    assert _state._require_client() is client
    assert client.address == ADDRESS
    assert client.rpc_url == "https://ogevmdevnet.opengradient.ai"
    assert client.contract_address == "0x8383C9bD7462F12Eb996DD02F78234C0421A6FaE"
    text = repr(client)
    assert KEY[2:] not in text and "pw" not in text
    assert KEY[2:] not in repr(vars(client))


def test_init_with_profile_takes_profile_urls(tmp_path, monkeypatch):
    monkeypatch.setenv("OG_TUI_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.setenv("OG_TUI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OG_TUI_DEVNET_PORT", "18999")
    client = og.init("a@b.c", "pw", KEY, profile="local")
    assert client.rpc_url == "http://127.0.0.1:18999/rpc"
    assert client.api_url == "http://127.0.0.1:18999"
    assert client.profile.name == "local"
    # an explicit non-default value still wins over the profile
    client = og.init("a@b.c", "pw", KEY, rpc_url="http://10.0.0.1:1/rpc", profile="local")
    assert client.rpc_url == "http://10.0.0.1:1/rpc"


def test_init_rejects_bad_key_without_echoing_it():
    from og_tui.core.errors import ValidationError

    bad = "zz" + KEY[4:]
    with pytest.raises(ValidationError) as info:
        og.init("a@b.c", "pw", bad)
    assert KEY[4:] not in str(info.value)
    with pytest.raises(RuntimeError):
        _state._require_client()
