"""The gateway on a profile paying x402 v2: its client pays in OPG through Permit2 and
counts each payment against the OPG spend caps it was built with (a real devnet, the
official ``openai`` client, a real uvicorn server in this process)."""

from __future__ import annotations

import pytest

openai = pytest.importorskip("openai")

pytestmark = pytest.mark.e2e

from .test_gateway_e2e import MODEL, _client, _free_port, _new_key, _payments_by_hash, chain, payer, profile  # noqa: E402,F401


@pytest.fixture(scope="module")
def v2_gateway(profile, payer, chain, tmp_path_factory):  # noqa: F811
    from og_tui.core import constants
    from og_tui.core.opg_allowance import approve, plan_approval
    from og_tui.core.x402_common import SpendCaps
    from og_tui.serve.runner import GatewayServer, build_gateway

    approve(chain, payer, plan_approval(chain, payer.address, 10**18, chain_id=constants.DEVNET_CHAIN_ID))
    caps = SpendCaps(10**15, None, constants.OPG_DECIMALS, constants.OPG_NAME)
    gw = build_gateway(
        profile.replace(x402_version="2"),
        payer,
        tmp_path_factory.mktemp("gateway-v2") / "og-tui.db",
        caps=SpendCaps(per_request=5_000, per_run=None),
        chain=chain,
        settlement="settle",
        default_max_tokens=16,
        opg_caps=caps,
    )
    server = GatewayServer(gw, "127.0.0.1", _free_port()).start()
    yield server, caps
    server.stop()


def _refused(server, secret):
    with pytest.raises(openai.APIStatusError) as exc:
        _client(server, secret).chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "Hello"}], max_tokens=16
        )
    return exc.value


def test_a_key_s_opg_budgets_bound_its_x402_v2_payments(v2_gateway):
    """OPG payments count against the key's OPG budgets, recorded as OPG (never summed with
    the payment token); a key with payment-token budgets only is refused OPG payments."""
    server, caps = v2_gateway
    book = server.gateway.book
    before = caps.spent

    usdc_only, secret = _new_key(server, "ousdc-only", per_day=1_000_000)
    err = _refused(server, secret)
    assert (err.status_code, err.code) == (402, "opg_budget_missing") and "--opg-total" in err.message
    assert caps.spent == before  # nothing signed

    tight, secret = _new_key(server, "tight", opg_per_request=1)
    err = _refused(server, secret)
    assert (err.status_code, err.code) == (402, "opg_request_budget_exceeded") and "OPG" in err.message
    assert caps.spent == before

    key, secret = _new_key(server, "opg", per_day=1_000_000, opg_total=10**15)
    out = _client(server, secret).chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "Explain Permit2 in a sentence."}], max_tokens=16
    )
    cost = int(out.model_extra["x402"]["cost"])
    assert cost > 0 and caps.spent == before + cost
    assert book.spent(key.id, token="OPG") == cost and book.spent(key.id, token="OUSDC") == 0
    [row] = book.requests(key.id)
    assert (row.token, row.cost) == ("OPG", cost)
    assert server.gateway.caps.in_flight(key.id) == 0 and server.gateway.opg_caps.in_flight(key.id) == 0
    book.record(key_id=key.id, endpoint="chat", status=200, cost=10**15 - cost, token="OPG")  # the rest of the budget
    err = _refused(server, secret)
    assert (err.status_code, err.code) == (402, "opg_total_budget_exceeded")
    assert caps.spent == before + cost
    assert {r.error_code for r in book.requests(usdc_only.id) + book.requests(tight.id)} == {
        "opg_budget_missing",
        "opg_request_budget_exceeded",
    }


def test_gateway_pays_x402_v2_in_opg_within_the_opg_caps(v2_gateway):
    from og_tui.core import constants

    server, caps = v2_gateway
    before = caps.spent  # (the module's other tests paid with these caps too)
    _key, secret = _new_key(server)
    out = _client(server, secret).chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "Explain upto in a sentence."}], max_tokens=16
    )
    assert out.choices[0].message.content
    payment_hash = out.model_extra["x402"]["payment_hash"]
    [row] = _payments_by_hash(server, payment_hash)
    assert row.token == constants.OPG_DEVNET_ADDRESS and (row.detail or {}).get("scheme") == "upto"
    assert caps.spent - before == row.amount > 0  # the OPG cap counted what the reply cost
    caps.per_request = 1  # below any reply's price: refused before anything is signed
    with pytest.raises(openai.APIStatusError):
        _client(server, secret).chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "Again"}], max_tokens=16
        )
    assert caps.spent - before == row.amount
