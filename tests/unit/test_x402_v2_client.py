"""Pure logic of the x402 v2 client: requirement choice, the profile's policy, mode names, settings."""

from __future__ import annotations

import pytest

from og_tui.core import constants
from og_tui.core.config import load_settings
from og_tui.core.errors import ConfigError
from og_tui.core.x402_common import PaymentRefused
from og_tui.core.x402_v2 import (
    PaymentUnsatisfiable,
    check_policy,
    opg_caps,
    select_requirement,
    v1_mode,
    v2_mode,
)

NET = f"eip155:{constants.DEVNET_CHAIN_ID}"
OPG = constants.OPG_DEVNET_ADDRESS
PAYEE = "0x" + "22" * 20


def _req(scheme, network=NET, asset=OPG, **kw):
    r = {
        "scheme": scheme,
        "network": network,
        "asset": asset,
        "amount": "1000",
        "payTo": PAYEE,
        "maxTimeoutSeconds": 300,
    }
    r["extra"] = {"facilitatorAddress": "0x" + "33" * 20} if scheme == "upto" else {"name": "OPG", "version": "1"}
    r.update(kw)
    return r


def test_upto_is_preferred_then_exact_on_the_profile_network_and_token():
    required = {"accepts": [_req("exact"), _req("upto", network="eip155:8453"), _req("upto")]}
    assert select_requirement(required, NET)["scheme"] == "upto" and select_requirement(required, NET)["network"] == NET
    assert select_requirement(required, NET, ("exact",))["scheme"] == "exact"
    other_token = {"accepts": [_req("upto", asset="0x" + "44" * 20), _req("exact")]}
    assert select_requirement(other_token, NET, asset=OPG)["scheme"] == "exact"


def test_an_unpayable_402_names_what_was_asked_and_what_the_profile_pays():
    required = {"accepts": [_req("upto", network="eip155:8453"), _req("exact", network="eip155:8453")]}
    with pytest.raises(PaymentUnsatisfiable) as exc:
        select_requirement(required, NET, asset=OPG)
    text = str(exc.value)
    assert "upto on eip155:8453" in text and "exact on eip155:8453" in text and f"'upto' or 'exact' on {NET}" in text
    with pytest.raises(PaymentUnsatisfiable, match="facilitatorAddress"):
        select_requirement({"accepts": [dict(_req("upto"), extra={})]}, NET)
    with pytest.raises(PaymentUnsatisfiable, match="no payment requirements"):
        select_requirement({"accepts": []}, NET)


def test_the_policy_refuses_before_signing():
    check_policy(_req("upto"), NET, OPG, (PAYEE,))
    for bad, why in (
        (_req("upto", network="eip155:1"), "pays on"),
        (_req("upto", asset="0x" + "55" * 20), "token at"),
        (_req("upto", payTo="0x" + "66" * 20), "pays only"),
        (_req("upto", maxTimeoutSeconds=86_400), "at most"),
        (_req("upto", amount="0"), "positive"),
    ):
        with pytest.raises(PaymentRefused, match=why):
            check_policy(bad, NET, OPG, (PAYEE,))


def test_settlement_mode_names_between_generations():
    assert [v2_mode(m) for m in ("settle", "settle-batch", "private", "batch", None)] == [
        "private",
        "batch",
        "private",
        "batch",
        "batch",
    ]
    assert [v1_mode(m) for m in ("private", "batch", "settle-metadata")] == [
        "settle",
        "settle-batch",
        "settle-metadata",
    ]


def _load(tmp_path, text):
    cfg = tmp_path / "cfg"
    cfg.mkdir(exist_ok=True)
    (cfg / "config.toml").write_text(text)
    return load_settings(env={}, config_dir=cfg, data_dir=tmp_path / "data")


def test_x402_version_and_opg_caps_in_the_settings(tmp_path):
    s = _load(tmp_path, 'llm_cap_opg_per_request = "0.25"\n[profiles.local]\nx402_version = 2\n')
    assert s.profile.x402_version == "2" and s.profile.opg_token == OPG
    caps = opg_caps(s)
    assert caps.per_request == 25 * 10**16 and caps.per_run == 5 * 10**18 and caps.symbol == "OPG"
    assert _load(tmp_path, '[profiles.local]\nx402_version = "auto"\n').profile.x402_version == "auto"
    assert (
        load_settings(env={}, config_dir=tmp_path / "none", data_dir=tmp_path / "d")
        .profiles["opengradient"]
        .x402_v2_chain_id
        == 8453
    )
    with pytest.raises(ConfigError, match="x402_version"):
        _load(tmp_path, "[profiles.local]\nx402_version = 3\n")
    with pytest.raises(ConfigError, match="llm_cap_opg_per_run"):
        _load(tmp_path, 'llm_cap_opg_per_run = "lots"\n')


def test_the_payment_line_names_token_scheme_and_settlement():
    from og_tui.core.llm_stream import ReplyMeta
    from og_tui.core.x402_v2 import describe_payment

    meta = ReplyMeta(model="og-devnet/mini", mode="TEE")
    assert describe_payment(meta) == ""  # not paid over x402
    meta.x402_version, meta.payment_scheme, meta.cost_text = 2, "upto", "0.00003 OPG"
    meta.settlement_mode, meta.settlement_status, meta.settlement_tx = "private", "settled", "0x" + "ab" * 32
    assert describe_payment(meta) == "0.00003 OPG · x402 v2 upto · private · settled 0xababab…abab"
    meta.settlement_mode, meta.settlement_status, meta.settlement_tx, meta.settlement_blob = (
        "batch",
        "queued",
        None,
        "Zm9v",
    )
    assert describe_payment(meta) == "0.00003 OPG · x402 v2 upto · batch · queued blob Zm9v"
