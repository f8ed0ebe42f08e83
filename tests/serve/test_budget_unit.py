"""Per-key budgets (pure logic on a real SQLite file): what is in flight counts, a refusal
leaves nothing reserved, the global caps still apply, keys are stored hashed."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from og_tui.core.errors import ValidationError
from og_tui.core.x402_common import SpendCapReached, SpendCaps
from og_tui.serve.budget import GatewayCaps, GatewayOpgCaps, KeyBudgetExceeded
from og_tui.serve.keys import KeyBook, KeyRefused, hash_key


@pytest.fixture
def book(tmp_path):
    b = KeyBook(tmp_path / "og-tui.db")
    yield b
    b.close()


def test_keys_are_stored_hashed_and_checked(book, tmp_path):
    key, secret = book.create("editor", per_day=100)
    raw = sqlite3.connect(tmp_path / "og-tui.db").execute("SELECT key_hash, prefix FROM gateway_keys").fetchall()
    assert raw == [(hash_key(secret), secret[:10])] and secret not in repr(raw)
    assert book.authenticate(secret).id == key.id
    with pytest.raises(KeyRefused) as exc:
        book.authenticate("ogk_" + "x" * 43)
    assert exc.value.code == "invalid_api_key"
    with pytest.raises(KeyRefused) as exc:
        book.authenticate(None)
    assert exc.value.code == "missing_api_key"
    book.revoke(key.id)
    with pytest.raises(KeyRefused) as exc:
        book.authenticate(secret)
    assert exc.value.code == "api_key_revoked"
    assert book.find("editor").revoked and book.find(str(key.id)).id == key.id


def test_budgets_count_recorded_and_in_flight_spending(book):
    key, _ = book.create("k", per_request=10, per_day=25, total=40)
    caps = GatewayCaps(book, SpendCaps())
    with caps.bound(key) as first:
        caps.reserve(10)
    assert caps.in_flight(key.id) == 10  # held until the request's cost is recorded
    with caps.bound(key) as second:
        caps.reserve(10)
        with pytest.raises(KeyBudgetExceeded) as exc:
            caps.reserve(10)  # 20 in flight + 10 > 25 a day
        assert exc.value.kind == "key_day" and exc.value.spent == 20
        with pytest.raises(KeyBudgetExceeded) as exc:
            caps.reserve(11)
        assert exc.value.kind == "key_request"
    book.record(key_id=key.id, endpoint="chat", status=200, cost=10)
    first.done()
    book.record(key_id=key.id, endpoint="chat", status=200, cost=10)
    second.done()
    assert caps.in_flight(key.id) == 0 and book.spent(key.id) == 20
    with caps.bound(key) as third:
        caps.reserve(5)
        caps.release(5)  # the server did not take the payment
        assert third.amount == 0 and caps.in_flight(key.id) == 0
    book.record(key_id=key.id, endpoint="chat", status=200, cost=16, created_at=1.0)  # an old day's spending
    with caps.bound(key):
        with pytest.raises(KeyBudgetExceeded) as exc:
            caps.reserve(5)  # today 20 + 5 fits the day; 36 in all + 5 > 40
    assert exc.value.kind == "key_total" and "Nothing was signed" in str(exc.value)


def test_global_caps_apply_and_a_refusal_reserves_nothing(book):
    key, _ = book.create("k")
    global_caps = SpendCaps(per_request=None, per_run=15)
    caps = GatewayCaps(book, global_caps)
    with caps.bound(key) as res:
        caps.reserve(10)
        with pytest.raises(SpendCapReached) as exc:
            caps.reserve(10)
        assert not isinstance(exc.value, KeyBudgetExceeded)
    assert res.amount == 10 and caps.in_flight(key.id) == 10 and global_caps.spent == 10
    with pytest.raises(KeyBudgetExceeded):
        caps.reserve(1)  # no key bound to this thread: nothing is paid


def _race(bound, reserve, n: int = 10, amount: int = 10) -> tuple[int, int]:
    """``n`` threads of one key reserve ``amount`` at the same moment: (served, refused)."""
    ok, refused = [], []
    barrier = threading.Barrier(n)

    def one():
        with bound():
            barrier.wait()
            try:
                reserve(amount)
                ok.append(1)
            except KeyBudgetExceeded:
                refused.append(1)

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(ok), len(refused)


def test_concurrent_requests_of_one_key_cannot_overshoot(book):
    key, _ = book.create("k", total=50)
    caps = GatewayCaps(book, SpendCaps())
    assert _race(lambda: caps.bound(key), caps.reserve) == (5, 5) and caps.in_flight(key.id) == 50


def test_a_key_revoked_by_another_process_is_refused_at_once(tmp_path):
    """The gateway's process keeps one connection to the file (shared with the history);
    what `og-tui gateway keys ...` writes from other processes counts at the next request."""
    import subprocess
    import sys

    from og_tui.core.store import Store

    path = tmp_path / "og-tui.db"
    store = Store(path)
    book = KeyBook(path, store=store)
    try:
        key, secret = book.create("k")
        store.add_payment(1, payee="0x0", mode="settle", hash="0x1")
        assert book.authenticate(secret).id == key.id

        def other(code: str) -> None:
            script = f"from og_tui.serve.keys import KeyBook; b = KeyBook({str(path)!r}); {code}; b.close()"
            subprocess.run([sys.executable, "-c", script], check=True)

        other("b.list()")
        other(f"b.revoke({key.id})")
        with pytest.raises(KeyRefused) as exc:
            book.authenticate(secret)
        assert exc.value.code == "api_key_revoked"
    finally:
        book.close()
        store.close()


OPG = 10**18  # one OPG in atomic units (18 decimals)


def test_spending_is_summed_per_token_and_old_rows_count_in_the_payment_token(book, tmp_path):
    key, _ = book.create("k")
    book.record(key_id=key.id, endpoint="chat", status=200, cost=7)  # a row from before the token column
    book.record(key_id=key.id, endpoint="chat", status=200, cost=5, token="OUSDC")
    book.record(key_id=key.id, endpoint="chat", status=200, cost=2 * 10**14, token="OPG")
    book.record(key_id=key.id, endpoint="chat", status=200, cost=3 * 10**14, token="OPG", created_at=1.0)
    assert book.spent(key.id, token="OUSDC") == 12
    assert book.spent(key.id, token="OPG") == 5 * 10**14
    assert book.spent(key.id, since=2.0, token="OPG") == 2 * 10**14
    assert book.spent(key.id) == 12  # no token named: the payment token's rows, never OPG's
    raw = sqlite3.connect(tmp_path / "og-tui.db").execute("SELECT token FROM gateway_requests ORDER BY id").fetchall()
    assert [r[0] for r in raw] == [None, "OUSDC", "OPG", "OPG"]
    assert [r.token for r in reversed(book.requests(key.id))] == [None, "OUSDC", "OPG", "OPG"]


def test_opg_budgets_are_stored_beyond_sqlite_integers(book):
    key, _ = book.create("k", per_day=100, opg_per_request=OPG // 1000, opg_per_day=20 * OPG, opg_total=50 * OPG)
    again = book.get(key.id)
    assert (again.opg_per_request, again.opg_per_day, again.opg_total) == (OPG // 1000, 20 * OPG, 50 * OPG)
    assert again.as_dict()["opg_total"] == 50 * OPG and again.has_opg_budget and again.has_budget
    plain = book.create("plain")[0]
    assert (plain.opg_per_request, plain.opg_per_day, plain.opg_total) == (None, None, None)
    assert not plain.has_opg_budget and not plain.has_budget
    with pytest.raises(ValidationError):
        book.create("bad", opg_total=-1)


def test_a_key_s_opg_budgets_bound_its_opg_payments(book):
    key, _ = book.create("k", opg_per_request=10**15, opg_per_day=25 * 10**14, opg_total=35 * 10**14)
    global_opg = SpendCaps(None, None, 18, "OPG")
    caps = GatewayCaps(book, SpendCaps())
    opg = GatewayOpgCaps(caps, global_opg)
    with caps.bound(key) as first:
        opg.reserve(10**15)
        with pytest.raises(KeyBudgetExceeded) as exc:
            opg.reserve(10**15 + 1)
        assert exc.value.kind == "key_opg_request" and "OPG" in str(exc.value)
        opg.reserve(10**15)
        with pytest.raises(KeyBudgetExceeded) as exc:
            opg.reserve(10**15)  # 2e15 in flight + 1e15 > 2.5e15 a day
        assert exc.value.kind == "key_opg_day" and exc.value.spent == 2 * 10**15
    assert first.opg_amount == 2 * 10**15 and first.amount == 0 and opg.in_flight(key.id) == 2 * 10**15
    assert caps.in_flight(key.id) == 0 and global_opg.spent == 2 * 10**15
    book.record(key_id=key.id, endpoint="chat", status=200, cost=2 * 10**15, token="OPG", created_at=1.0)
    first.done()
    assert opg.in_flight(key.id) == 0
    with caps.bound(key) as second:
        opg.reserve(10**15)
        opg.release(10**15)  # the server did not take it
        assert second.opg_amount == 0 and global_opg.spent == 2 * 10**15
        opg.reserve(10**15)
        with pytest.raises(KeyBudgetExceeded) as exc:
            opg.reserve(10**15)  # 2e15 recorded (an old day) + 1e15 in flight + 1e15 > 3.5e15 in all
        assert exc.value.kind == "key_opg_total"
    # the OPG spending is not counted against the payment-token budgets, nor the other way round
    assert book.spent(key.id) == 0 and caps.in_flight(key.id) == 0


def test_a_key_with_payment_token_budgets_only_refuses_opg_payments(book):
    key, _ = book.create("k", per_day=100)
    global_opg = SpendCaps(None, None, 18, "OPG")
    opg = GatewayOpgCaps(GatewayCaps(book, SpendCaps()), global_opg)
    with opg.parent.bound(key) as res:
        with pytest.raises(KeyBudgetExceeded) as exc:
            opg.reserve(1)
    assert exc.value.kind == "key_opg_missing" and res.opg_amount == 0 and global_opg.spent == 0
    assert "--opg-total" in str(exc.value) and "x402_version = 1" in str(exc.value)
    assert "Nothing was signed" in str(exc.value)


def test_a_key_with_opg_budgets_only_refuses_payment_token_payments(book):
    key, _ = book.create("k", opg_total=OPG)
    caps = GatewayCaps(book, SpendCaps())
    with caps.bound(key) as res:
        with pytest.raises(KeyBudgetExceeded) as exc:
            caps.reserve(1)
    assert exc.value.kind == "key_missing" and res.amount == 0 and "--total" in str(exc.value)


def test_a_key_without_budgets_is_bounded_by_the_global_opg_caps_only(book):
    key, _ = book.create("k")
    global_opg = SpendCaps(None, 3 * 10**15, 18, "OPG")
    opg = GatewayOpgCaps(GatewayCaps(book, SpendCaps()), global_opg)
    with opg.parent.bound(key):
        opg.reserve(2 * 10**15)
        with pytest.raises(SpendCapReached) as exc:
            opg.reserve(2 * 10**15)
        assert not isinstance(exc.value, KeyBudgetExceeded)
    with pytest.raises(KeyBudgetExceeded):
        opg.reserve(1)  # no key bound to this thread: nothing is paid


def test_concurrent_opg_payments_of_one_key_cannot_overshoot(book):
    key, _ = book.create("k", opg_total=50)
    opg = GatewayOpgCaps(GatewayCaps(book, SpendCaps()), None)
    assert _race(lambda: opg.parent.bound(key), opg.reserve) == (5, 5) and opg.in_flight(key.id) == 50


def test_opg_refusals_answer_openai_codes_like_the_payment_token_ones():
    from og_tui.serve.gateway_wire import error_of

    def err(kind):
        return error_of(KeyBudgetExceeded("over", amount=1, cap=0, spent=0, kind=kind))

    assert (err("key_opg_request").status, err("key_opg_request").code) == (402, "opg_request_budget_exceeded")
    assert (err("key_opg_total").status, err("key_opg_total").code) == (402, "opg_total_budget_exceeded")
    day = err("key_opg_day")
    assert (day.status, day.code, day.type) == (429, "opg_daily_budget_exceeded", "insufficient_quota")
    assert "retry-after" in day.headers
    assert (err("key_opg_missing").status, err("key_opg_missing").code) == (402, "opg_budget_missing")
    assert (err("key_missing").status, err("key_missing").code) == (402, "budget_missing")
    assert err("key_request").code == "request_budget_exceeded" and err("key_total").code == "total_budget_exceeded"


def test_opg_spending_past_sqlite_integers_is_summed_exactly(book):
    key, _ = book.create("k", opg_total=100 * OPG)
    for _ in range(3):
        book.record(key_id=key.id, endpoint="chat", status=200, cost=5 * OPG + 1, token="OPG")
    assert book.spent(key.id, token="OPG") == 15 * OPG + 3  # SQLite's SUM stops at 2**63 - 1 (9.2 OPG)
    assert book.spent(key.id, since=0.0, token="OPG") == 15 * OPG + 3
    opg = GatewayOpgCaps(GatewayCaps(book, SpendCaps()), None)
    with opg.parent.bound(key):
        with pytest.raises(KeyBudgetExceeded) as exc:
            opg.reserve(85 * OPG)
    assert exc.value.kind == "key_opg_total" and exc.value.spent == 15 * OPG + 3


def test_a_request_that_failed_after_paying_in_opg_is_charged_in_opg(book):
    """What an x402 v2 payment reserved for a request that then failed stays charged to the
    key, in OPG (the ledger row's token), and is no longer counted in flight."""
    from types import SimpleNamespace

    from og_tui.core import errors as E
    from og_tui.serve.gateway import Gateway, _Call

    key, _ = book.create("k", opg_total=10**16)
    caps = GatewayCaps(book, SpendCaps())
    opg = GatewayOpgCaps(caps, None)
    gw = Gateway(SimpleNamespace(profile=SimpleNamespace(name="local")), book, caps)
    assert gw.opg_caps is opg
    call = _Call("chat", 0.0)
    call.key, call.model = key, "og-devnet/mini"
    with caps.bound(key) as res:
        opg.reserve(3 * 10**14)
    exc = E.LLMError("the reply did not parse")
    exc.gateway_reservation = res
    assert gw._failed(exc, call).status_code == 502
    [row] = book.requests(key.id)
    assert (row.token, row.cost, row.error_code) == ("OPG", 3 * 10**14, "upstream_error")
    assert book.spent(key.id, token="OPG") == 3 * 10**14 and book.spent(key.id) == 0
    assert opg.in_flight(key.id) == 0 and gw.live()["opg_spent_by_key"] == {key.id: 3 * 10**14}
    assert gw.live()["spent_by_key"] == {}
