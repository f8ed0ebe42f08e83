"""Hub sign-in as a careful identity service does it.

Against the shared real devnet (tests/conftest.py ``devnet``): password guessing locks the
account with Firebase's TOO_MANY_ATTEMPTS_TRY_LATER; an unknown email and a wrong
password get the same answer; sign-out revokes the refresh token and the session's ID
tokens; an account keeps at most DEFAULT_MAX_SESSIONS live refresh tokens; the CLI ends
the sessions it opens and ``hub logout`` forgets the saved sign-in.
With a fake clock (AuthService unit tests): the lock-out doubles, clears on success and
is forgotten after a quiet day; refresh tokens expire; tokens are stored hashed; a
database from before sessions had ids keeps working.
Hypothesis: the ID-token / bearer and refresh-token parsers answer a 4xx or a valid
answer to anything, in-process and (a bounded number) over HTTP, and the devnet stays up.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import sqlite3
import string
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from og_tui.core.errors import AuthError
from og_tui.core.hub import HubClient
from og_tui.devnet.hub.auth import DEFAULT_MAX_SESSIONS, AuthFailure, AuthService, LockoutPolicy
from og_tui.devnet.hub.db import MIGRATIONS, HubDB

PASSWORD = "correct-horse-1"
_n = [0]


def unique_email(tag: str) -> str:
    _n[0] += 1
    return f"{tag}-{os.getpid()}-{_n[0]}-{time.time_ns() % 10**9}@example.com"


class Hub:
    def __init__(self, devnet) -> None:
        self.devnet = devnet
        self.auth_url = devnet.url + "/auth"
        self.hub_url = devnet.url + "/api/v0"

    def client(self) -> HubClient:
        return HubClient(self.hub_url, self.auth_url)

    def sign_in(self, email: str, password: str) -> httpx.Response:
        return httpx.post(
            f"{self.auth_url}/v1/accounts:signInWithPassword",
            json={"email": email, "password": password, "returnSecureToken": True},
            timeout=30,
        )

    def exchange(self, refresh_token) -> httpx.Response:
        return httpx.post(
            f"{self.auth_url}/v1/token", json={"grantType": "refresh_token", "refreshToken": refresh_token}, timeout=30
        )

    def sign_out(self, body) -> httpx.Response:
        return httpx.post(f"{self.auth_url}/v1/accounts:signOut", json=body, timeout=30)

    def mine(self, id_token: str) -> httpx.Response:
        return httpx.get(
            f"{self.hub_url}/models/?author=me", headers={"Authorization": f"Bearer {id_token}"}, timeout=30
        )

    def live_tokens(self, email: str) -> int:
        db = sqlite3.connect(f"file:{self.devnet.data_dir / 'hub' / 'hub.sqlite3'}?mode=ro", uri=True)
        try:
            return db.execute(
                "SELECT count(*) FROM refresh_tokens t JOIN users u ON u.id = t.user_id WHERE u.email = ?", (email,)
            ).fetchone()[0]
        finally:
            db.close()


@pytest.fixture(scope="module")
def hub(devnet) -> Hub:
    return Hub(devnet)


def error_message(resp: httpx.Response) -> str:
    return resp.json()["error"]["message"]


# --- against the real devnet ------------------------------------------------------------------


@pytest.mark.e2e
def test_guessing_locks_the_account(hub):
    email, other = unique_email("guess"), unique_email("bystander")
    hub.client().sign_up(email, PASSWORD)
    hub.client().sign_up(other, PASSWORD)
    for _ in range(5):
        r = hub.sign_in(email, "wrong-guess")
        assert r.status_code == 400 and error_message(r) == "INVALID_LOGIN_CREDENTIALS"
    r = hub.sign_in(email, PASSWORD)  # locked now: even the right password is refused
    assert r.status_code == 400 and error_message(r).startswith("TOO_MANY_ATTEMPTS_TRY_LATER : try again in ")
    assert 1 <= int(r.headers["retry-after"]) <= 30
    assert r.json()["error"]["code"] == 400  # Firebase's error shape
    with pytest.raises(AuthError, match="Too many failed sign-in attempts for this account: try again in") as err:
        hub.client().sign_in(email, PASSWORD)
    assert "longer" in err.value.hint
    assert hub.sign_in(other, PASSWORD).status_code == 200  # per account: others sign in as usual


@pytest.mark.e2e
def test_unknown_email_and_wrong_password_answer_alike(hub):
    email = unique_email("known")
    hub.client().sign_up(email, PASSWORD)
    wrong = hub.sign_in(email, "not-the-password")
    unknown = hub.sign_in(unique_email("nobody"), PASSWORD)
    assert (wrong.status_code, wrong.json()) == (unknown.status_code, unknown.json())
    assert error_message(wrong) == "INVALID_LOGIN_CREDENTIALS"
    # an unknown address is locked the same way: the lock-out tells nothing either
    known = unique_email("known")
    hub.client().sign_up(known, PASSWORD)
    for target in (known, "ghost-" + known):
        answers = [error_message(hub.sign_in(target, "guess-guess")).split(" : ")[0] for _ in range(6)]
        assert answers == ["INVALID_LOGIN_CREDENTIALS"] * 5 + ["TOO_MANY_ATTEMPTS_TRY_LATER"]
    with pytest.raises(AuthError, match="Wrong email or password"):
        hub.client().sign_in(unique_email("nobody"), PASSWORD)


@pytest.mark.e2e
def test_sign_out_revokes_the_refresh_token_and_its_id_tokens(hub):
    email = unique_email("out")
    client = hub.client()
    session = client.sign_up(email, PASSWORD)
    refresh, first_id = session.refresh_token, session.id_token
    other = hub.client()
    other.sign_in(email, PASSWORD)  # a second session of the same account
    r = hub.exchange(refresh)
    assert r.status_code == 200 and r.json()["refresh_token"] == refresh
    second_id = r.json()["id_token"]
    assert hub.mine(first_id).status_code == 200 and hub.mine(second_id).status_code == 200

    assert client.sign_out() is True and not client.signed_in
    r = hub.exchange(refresh)
    assert r.status_code == 400 and error_message(r) == "INVALID_REFRESH_TOKEN"
    for id_token in (first_id, second_id):
        r = hub.mine(id_token)
        assert r.status_code == 401 and "session has ended" in r.json()["detail"]
    with pytest.raises(AuthError, match="no longer valid"):
        hub.client().restore_session(refresh, email)
    r = hub.sign_out({"refreshToken": refresh})  # idempotent
    assert r.status_code == 200 and r.json()["revoked"] is False
    assert hub.sign_out({}).status_code == 400
    assert other.list_models(mine=True)["total"] == 0  # the other session lives on
    assert hub.live_tokens(email) == 1


@pytest.mark.e2e
def test_live_refresh_tokens_are_capped(hub):
    email = unique_email("cap")
    tokens = [hub.client().sign_up(email, PASSWORD).refresh_token]
    for _ in range(DEFAULT_MAX_SESSIONS):
        r = hub.sign_in(email, PASSWORD)
        assert r.status_code == 200
        tokens.append(r.json()["refreshToken"])
    assert hub.live_tokens(email) == DEFAULT_MAX_SESSIONS
    r = hub.exchange(tokens[0])  # the oldest was revoked by the newest sign-in
    assert r.status_code == 400 and error_message(r) == "INVALID_REFRESH_TOKEN"
    assert hub.exchange(tokens[1]).status_code == 200 and hub.exchange(tokens[-1]).status_code == 200


@pytest.mark.e2e
def test_cli_ends_its_sessions_and_logout_forgets_the_sign_in(hub, tmp_path, monkeypatch):
    from og_tui.cli import main

    env = {
        "OG_TUI_CONFIG_DIR": str(tmp_path / "cfg"),
        "OG_TUI_DATA_DIR": str(tmp_path / "data"),
        "OG_TUI_KEYRING": "file",
        "OG_TUI_PASSPHRASE": "cli-pass-phrase",
        "OG_TUI_SCRYPT_N": "1024",
        "OG_TUI_PROFILE": "opengradient",
        "OG_TUI_HUB_URL": hub.hub_url,
        "OG_TUI_AUTH_URL": hub.auth_url,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("OG_TUI_HUB_EMAIL", raising=False)
    monkeypatch.delenv("OG_TUI_HUB_PASSWORD", raising=False)
    email = unique_email("cli")
    hub.client().sign_up(email, PASSWORD)
    assert hub.live_tokens(email) == 1  # (the sign-up's session, kept by its client)

    def run(*args, ok=True, input=None):
        result = CliRunner().invoke(main, [*args, "--json"], catch_exceptions=False, input=input)
        assert (result.exit_code == 0) == ok, result.output
        return json.loads(result.stdout if ok else result.stderr)  # --json errors go to stderr

    assert run("hub", "login", "--email", email, "--password-stdin", input=PASSWORD + "\n")["saved"]
    assert run("hub", "models", "--mine")["total"] == 0  # signs in with the saved password
    assert hub.live_tokens(email) == 1  # both commands revoked the sessions they opened
    assert run("hub", "logout") == {"email": email, "forgotten": True}
    assert run("hub", "logout") == {"email": None, "forgotten": False}
    err = run("hub", "models", "--mine", ok=False)
    assert "No Model Hub account" in err["error"]


# --- the auth service with a fake clock ---------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.t = 1_700_000_000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


def make_service(path: Path, clock: Clock, **kwargs) -> AuthService:
    path.mkdir(parents=True, exist_ok=True)
    return AuthService(HubDB(path / "hub.sqlite3"), path / "secret.key", 3600, now=clock, **kwargs)


def code_of(call) -> str:
    with pytest.raises(AuthFailure) as err:
        call()
    assert err.value.status == 400
    return err.value.code


def test_lockout_doubles_then_clears_on_success(tmp_path):
    clock = Clock()
    auth = make_service(tmp_path, clock, lockout=LockoutPolicy(after=5, base=30, cap=100))
    auth.sign_up("a@example.com", PASSWORD)
    for _ in range(5):
        assert code_of(lambda: auth.sign_in("a@example.com", "wrong-1")) == "INVALID_LOGIN_CREDENTIALS"
    waits = []
    for _ in range(4):
        with pytest.raises(AuthFailure) as err:
            auth.sign_in("a@example.com", PASSWORD)
        assert err.value.code == "TOO_MANY_ATTEMPTS_TRY_LATER"
        waits.append(err.value.retry_after)
        clock.advance(err.value.retry_after - 1)
        assert code_of(lambda: auth.sign_in("a@example.com", PASSWORD)) == "TOO_MANY_ATTEMPTS_TRY_LATER"
        clock.advance(1)
        assert code_of(lambda: auth.sign_in("a@example.com", "wrong-2")) == "INVALID_LOGIN_CREDENTIALS"
    assert waits == [30, 60, 100, 100]  # doubling, up to the cap
    clock.advance(100)
    assert auth.sign_in("a@example.com", PASSWORD).email == "a@example.com"
    for _ in range(4):  # the success cleared the count: four more failures do not lock
        assert code_of(lambda: auth.sign_in("a@example.com", "wrong-3")) == "INVALID_LOGIN_CREDENTIALS"
    assert auth.sign_in("a@example.com", PASSWORD).email == "a@example.com"


def test_failures_are_forgotten_after_a_quiet_day(tmp_path):
    clock = Clock()
    auth = make_service(tmp_path, clock)
    auth.sign_up("b@example.com", PASSWORD)
    for _ in range(4):
        code_of(lambda: auth.sign_in("b@example.com", "wrong-1"))
    clock.advance(86400 + 1)
    for _ in range(4):  # would be the 5th..8th failure without the reset
        assert code_of(lambda: auth.sign_in("b@example.com", "wrong-1")) == "INVALID_LOGIN_CREDENTIALS"
    assert auth.sign_in("b@example.com", PASSWORD)


def test_refresh_tokens_expire_with_their_id_tokens(tmp_path):
    clock = Clock()
    auth = make_service(tmp_path, clock, refresh_ttl=7 * 86400)
    user = auth.sign_up("c@example.com", PASSWORD)
    id_token, ttl, refresh = auth.start_session(user)
    assert ttl == 3600 and auth.verify_id_token(id_token) == user
    clock.advance(7 * 86400 - 10)
    _, fresh_id, _ = auth.exchange_refresh_token(refresh)
    assert auth.verify_id_token(fresh_id) == user
    clock.advance(10)
    assert code_of(lambda: auth.exchange_refresh_token(refresh)) == "TOKEN_EXPIRED"
    with pytest.raises(AuthFailure) as err:
        auth.verify_id_token(fresh_id)  # its lifetime is not over, its session is
    assert (err.value.status, err.value.code) == (401, "TOKEN_REVOKED")
    assert code_of(lambda: auth.exchange_refresh_token(refresh)) == "INVALID_REFRESH_TOKEN"  # and it is gone
    clock.advance(3600)
    with pytest.raises(AuthFailure, match="TOKEN_EXPIRED"):
        auth.verify_id_token(id_token)


def test_cap_revokes_the_oldest_and_tokens_are_stored_hashed(tmp_path):
    clock = Clock()
    auth = make_service(tmp_path, clock, max_sessions=3)
    user = auth.sign_up("d@example.com", PASSWORD)
    sessions = []
    for _ in range(5):
        sessions.append(auth.start_session(user))  # same clock reading: insertion order decides
    assert auth.live_sessions(user) == 3
    for id_token, _, refresh in sessions[:2]:
        assert code_of(lambda token=refresh: auth.exchange_refresh_token(token)) == "INVALID_REFRESH_TOKEN"
        with pytest.raises(AuthFailure, match="TOKEN_REVOKED"):
            auth.verify_id_token(id_token)
    for _, _, refresh in sessions[2:]:
        assert auth.exchange_refresh_token(refresh)[0] == user
    assert auth.revoke_all(user) == 3 and auth.live_sessions(user) == 0
    _, _, kept = auth.start_session(user)
    auth.db.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("hub.sqlite3*"))
    assert kept.encode() not in raw and hashlib.sha256(kept.encode()).hexdigest().encode() in raw


def test_a_database_from_before_sessions_keeps_working(tmp_path):
    db = sqlite3.connect(tmp_path / "hub.sqlite3", isolation_level=None)
    for script in MIGRATIONS[:2]:
        db.executescript(script)
    db.execute("PRAGMA user_version = 2")
    clock = Clock()
    auth = make_service(tmp_path, clock)
    user = auth.sign_up("e@example.com", PASSWORD)
    old_token = "AMf-" + "A" * 43
    db.execute(
        "INSERT INTO refresh_tokens (token_hash, user_id, created_at) VALUES (?, ?, ?)",
        (hashlib.sha256(old_token.encode()).hexdigest(), user.id, clock() - 86400),
    )
    db.close()
    assert auth.db.schema_version == len(MIGRATIONS) == 3
    _, id_token, _ = auth.exchange_refresh_token(old_token)
    assert auth.verify_id_token(id_token) == user
    assert auth.revoke(old_token) is True
    with pytest.raises(AuthFailure, match="TOKEN_REVOKED"):
        auth.verify_id_token(id_token)


# --- fuzzing the token parsers -------------------------------------------------------------------

ANY_CHAR = st.characters(codec=None, exclude_categories=())  # surrogates and controls included
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(ANY_CHAR, max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
TOKENISH = st.text(string.ascii_letters + string.digits + "-_.=+/", max_size=300)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@pytest.fixture(scope="module")
def fuzz_auth(tmp_path_factory):
    clock = Clock()
    auth = make_service(tmp_path_factory.mktemp("fuzz-auth"), clock)
    user = auth.sign_up("fuzz@example.com", PASSWORD)
    id_token, _, refresh = auth.start_session(user)
    return auth, user, id_token, refresh


def signed(auth: AuthService, claims) -> str:
    """A token carrying ``claims`` with a correct signature: what only the hub could issue."""
    head = b64(b'{"alg":"HS256","typ":"JWT"}')
    body = b64(json.dumps(claims, allow_nan=True).encode("utf-8", "surrogatepass"))
    sig = hmac.new(auth._secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(sig)}"


@st.composite
def id_tokens(draw, auth: AuthService, valid: str):
    kind = draw(st.sampled_from(["text", "tokenish", "mutated", "parts", "signed", "value"]))
    if kind == "text":
        return draw(st.text(ANY_CHAR, max_size=200))
    if kind == "tokenish":
        return draw(TOKENISH)
    if kind == "mutated":
        i = draw(st.integers(0, len(valid) - 1))
        return valid[:i] + draw(st.text(ANY_CHAR, min_size=0, max_size=3)) + valid[i + 1 :]
    if kind == "parts":
        return ".".join(draw(st.lists(st.one_of(TOKENISH, st.binary(max_size=60).map(b64)), max_size=5)))
    if kind == "signed":
        claims = draw(
            st.one_of(
                JSON,
                st.fixed_dictionaries(
                    {
                        "sub": JSON,
                        "exp": st.one_of(JSON, st.just(float("nan")), st.just(1e308), st.just(10**400)),
                        "sid": JSON,
                    }
                ),
            )
        )
        return signed(auth, claims)
    return draw(JSON)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_id_token_parser(fuzz_auth, data):
    auth, user, valid, _ = fuzz_auth
    token = data.draw(id_tokens(auth, valid))
    try:
        got = auth.verify_id_token(token)
    except AuthFailure as exc:
        assert exc.status == 401
    else:
        assert token == valid and got == user


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    value=st.one_of(
        JSON,
        TOKENISH,
        st.text(ANY_CHAR).map(lambda t: "AMf-" + t),
        st.text(string.ascii_letters + string.digits + "-_", min_size=43, max_size=43).map(lambda t: "AMf-" + t),
    )
)
def test_fuzz_refresh_token_parser(fuzz_auth, value):
    auth, user, _, refresh = fuzz_auth
    try:
        got, id_token, _ = auth.exchange_refresh_token(value)
    except AuthFailure as exc:
        assert exc.status == 400 and exc.code in {"MISSING_REFRESH_TOKEN", "INVALID_REFRESH_TOKEN", "TOKEN_EXPIRED"}
    else:
        assert value == refresh and got == user and auth.verify_id_token(id_token) == user
    assert auth.revoke(value) is False or value == refresh


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    email=st.one_of(JSON, st.emails(), st.text(ANY_CHAR, max_size=40).map(lambda t: t + "@x.io")),
    password=st.one_of(JSON, st.text(ANY_CHAR, min_size=1, max_size=30)),
)
def test_fuzz_sign_in_inputs(fuzz_auth, email, password):
    auth = fuzz_auth[0]
    try:
        auth.sign_in(email, password)
    except AuthFailure as exc:
        assert exc.status == 400
    else:
        assert password == PASSWORD


@pytest.mark.e2e
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_token_routes_over_http(hub, data):
    """A bounded number of hostile tokens and bodies through the real server: never a 5xx."""
    route = data.draw(st.sampled_from(["bearer", "token", "signOut", "signIn"]))
    if route == "bearer":
        token = data.draw(
            st.one_of(TOKENISH, st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=200))
        )
        header = f"Bearer {token}".strip()  # (a header value cannot end in a space)
        r = httpx.get(f"{hub.hub_url}/models/?author=me", headers={"Authorization": header}, timeout=30)
    else:
        body = data.draw(
            st.one_of(
                JSON,
                st.fixed_dictionaries(
                    {
                        "grantType": st.one_of(st.just("refresh_token"), JSON),
                        "refreshToken": st.one_of(TOKENISH, JSON),
                        "email": st.one_of(st.emails(), JSON),
                        "password": JSON,
                    }
                ),
            )
        )
        path = {"token": "/v1/token", "signOut": "/v1/accounts:signOut", "signIn": "/v1/accounts:signInWithPassword"}[
            route
        ]
        content = json.dumps(body, allow_nan=True).encode("utf-8", "surrogatepass")
        r = httpx.post(hub.auth_url + path, content=content, headers={"Content-Type": "application/json"}, timeout=30)
    if route == "signOut" and r.status_code == 200:  # revoking an unknown token is not an error (RFC 7009)
        assert r.json()["revoked"] is False
    else:
        assert 400 <= r.status_code < 500, (route, r.status_code, r.text[:300])
    assert hub.devnet.running


@pytest.mark.e2e
def test_inputs_that_used_to_crash_the_auth_routes(hub):
    """Lone surrogates (valid JSON escapes, not encodable text) and a non-text display name."""
    cases = [
        ("/v1/accounts:signInWithPassword", '{"email": "a\\ud800@example.com", "password": "secret-1"}'),
        ("/v1/accounts:signInWithPassword", '{"email": "a@example.com", "password": "\\udc00secret"}'),
        (
            "/v1/accounts:signUp",
            '{"email": "%s", "password": "\\ud800\\ud800-password", "displayName": 5}' % unique_email("s"),
        ),
        ("/v1/token", '{"grantType": "refresh_token", "refreshToken": "AMf-\\ud800"}'),
    ]
    statuses = [
        httpx.post(
            hub.auth_url + path, content=body.encode(), headers={"Content-Type": "application/json"}, timeout=30
        ).status_code
        for path, body in cases
    ]
    assert statuses == [400, 400, 200, 400]


@pytest.mark.e2e
def test_devnet_is_alive_after_the_fuzzing(hub):
    r = httpx.get(hub.devnet.url + "/health", timeout=10)
    assert r.status_code == 200 and hub.devnet.running
