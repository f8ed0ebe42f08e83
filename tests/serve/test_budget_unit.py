"""Per-key budgets (pure logic on a real SQLite file): what is in flight counts, a refusal
leaves nothing reserved, the global caps still apply, keys are stored hashed."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from og_tui.core.x402_common import SpendCapReached, SpendCaps
from og_tui.serve.budget import GatewayCaps, KeyBudgetExceeded
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


def test_concurrent_requests_of_one_key_cannot_overshoot(book):
    key, _ = book.create("k", total=50)
    caps = GatewayCaps(book, SpendCaps())
    ok, refused = [], []
    barrier = threading.Barrier(10)

    def one():
        with caps.bound(key):
            barrier.wait()
            try:
                caps.reserve(10)
                ok.append(1)
            except KeyBudgetExceeded:
                refused.append(1)

    threads = [threading.Thread(target=one) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (len(ok), len(refused)) == (5, 5) and caps.in_flight(key.id) == 50


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
