"""Snapshots at 80x24 and 120x40 of the TEE view, the JSON Schema editor, and chat replies
with their TEE verification lines and a structured reply (no network: fixed state)."""

from __future__ import annotations

import json

import pytest

from og_tui.core.tee import TeeEndpoint
from og_tui.core.tee_proof import TeeVerification

from .test_chat_snapshots import CHAT_META, _app_with_conversation, _chat_runner
from .test_snapshots import (  # noqa: F401  (fixtures)
    FIXED_TIME,
    SIZES,
    _app,
    _fixed_state,
    _modal,
    _settled,
    _utc,
)


@pytest.fixture
def _chat_offline(monkeypatch):
    from og_tui.tui.screens.chat import ChatScreen

    monkeypatch.setattr(ChatScreen, "autoload_models", False)


TEE_A = "0x5dd628" + "3a" * 26 + "9c0145fd"
TEE_B = "0x81f0e2" + "b4" * 26 + "77d2c3a1"


def _tee(tee_id: str, endpoint: str, tee_type: int, beat: int, enabled: bool = True) -> TeeEndpoint:
    return TeeEndpoint(
        tee_id=tee_id,
        endpoint=endpoint,
        public_key_der=b"",
        tls_cert_der=b"cert",
        pcr_hash="0x" + "9e" * 32,
        tee_type=tee_type,
        enabled=enabled,
        owner="0x2c7536E3605D9C16a7a3D7b1898e529396a65c23",
        payment_address="0x8ba1f109551bD432803012645Ac136ddd64DBA72",
        registered_at=int(FIXED_TIME) - 86_400,
        last_heartbeat_at=int(FIXED_TIME) - beat,
    )


FIXED_TEES = [
    _tee(TEE_A, "https://127.0.0.1:8443", 0, 4),
    _tee(TEE_B, "https://tee-2.llm.opengradient.ai", 0, 380),
    _tee("0x0c11" + "00" * 28 + "beef", "https://validator.opengradient.ai", 1, 7200, enabled=False),
]


@pytest.fixture
def _fixed_registry(monkeypatch):
    from og_tui.tui.screens.tee_view import TeeRegistryView

    monkeypatch.setattr(
        TeeRegistryView,
        "reader",
        staticmethod(lambda profile, registry=None: ("0x703cB174AEadB35D611858369B4b1111dC9Abda6", list(FIXED_TEES))),
    )
    monkeypatch.setattr(TeeRegistryView, "clock", staticmethod(lambda: FIXED_TIME))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_tee_view(snap_compare, app_env, _chat_offline, _fixed_registry, size):
    def loaded(app) -> bool:
        return type(app.screen).__name__ == "TeeRegistryView" and len(app.screen.tees) == 3

    run = _chat_runner("ctrl+l", "down", ready=loaded)
    assert snap_compare(_app(app_env, wallet=True), terminal_size=size, run_before=run)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_schema_dialog(snap_compare, app_env, _chat_offline, size):
    async def run_before(pilot):
        from og_tui.tui.widgets.format_params import FormatParams

        await _chat_runner()(pilot)
        pilot.app.screen.query_one(FormatParams).edit_schema()
        await _settled(pilot, lambda: _modal("SchemaDialog")(pilot.app))
        await pilot.press("ctrl+t")  # the example schema
        pilot.app.screen.query_one("#schema-name").value = "a city"
        await pilot.press("ctrl+s")  # a bad name: named, nothing saved
        await _settled(pilot, lambda: bool(str(pilot.app.screen.query_one(".dialog-error").render())))

    assert snap_compare(_app(app_env, wallet=True), terminal_size=size, run_before=run_before)


CITY = {
    "name": "city",
    "strict": True,
    "schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "population": {"type": "integer"}},
        "required": ["city", "population"],
    },
}
META = dict(CHAT_META, completion_tokens=21, tokens_per_s=180.0)  # (a shorter reply)


def _tee_chat_app(app_env):
    params = {"max_tokens": "256", "response_format": "json_schema", "json_schema": CITY}
    app, store, conv = _app_with_conversation(app_env, "Which TEE answered?", params)
    t = FIXED_TIME
    ok = TeeVerification(True, tee_id=TEE_A, endpoint="https://127.0.0.1:8443").as_dict()
    bad = TeeVerification(
        False,
        "output hash mismatch: the reply's content is not what the TEE signed (computed 1f2e3d4c5b6a7988…, "
        "signed 0a1b2c3d4e5f6071…)",
        tee_id=TEE_B,
    ).as_dict()
    store.add_message(conv.id, "user", "Which TEE answered?", created=t + 1)
    store.add_message(conv.id, "assistant", "The devnet's gateway, in its TEE.", meta=dict(META, tee=ok), created=t + 2)
    store.add_message(conv.id, "user", "And this one?", created=t + 3)
    store.add_message(conv.id, "assistant", "A reply changed on the way.", meta=dict(META, tee=bad), created=t + 4)
    store.add_message(conv.id, "user", "Describe a city as JSON", created=t + 5)
    store.add_message(
        conv.id,
        "assistant",
        json.dumps({"city": "Lisbon", "population": 545000}),
        meta=dict(
            META,
            tee=ok,
            response_format={"type": "json_schema", "json_schema": CITY},
            payment_token_symbol="OPG",
            payment_token_decimals=18,
            cost=str(2 * 10**15),
            x402_version=2,
            x402_scheme="upto",
            settlement_mode="batch",
        ),
        created=t + 6,
    )
    store.close()
    return app


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_chat_replies_with_tee_checks(snap_compare, app_env, _chat_offline, size):
    assert snap_compare(_tee_chat_app(app_env), terminal_size=size, run_before=_chat_runner())
