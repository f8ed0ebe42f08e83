"""End to end over HTTP: auth, models, versions, streamed upload/download, permissions, errors."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import httpx
import pytest
from hub_helpers import start_hub, unique

from og_tui.core.cid import cid_for_bytes, cid_for_file
from og_tui.core.errors import AuthError, HubError, ValidationError
from og_tui.core.hub import HubClient, TransferCancelled
from og_tui.devnet.hub.samples import build_samples

pytestmark = pytest.mark.e2e


def onnx_bytes(tag: str = "") -> bytes:
    """The linear-regression sample with a distinct doc string (so: distinct bytes and CID)."""
    import onnx

    model = onnx.load_model_from_string(build_samples()[0].data)
    model.doc_string = "test copy " + (tag or unique("doc"))
    return model.SerializeToString()


def test_signup_signin_and_errors(hub_server):
    email = unique("alice") + "@example.com"
    c = hub_server.client()
    s = c.sign_up(email, "pass-word-1")
    assert s.email == email and s.id_token.count(".") == 2 and s.local_id
    with pytest.raises(AuthError, match="already exists"):
        hub_server.client().sign_up(email, "pass-word-1")
    # one answer for a wrong password and an unknown email (no account enumeration)
    with pytest.raises(AuthError, match="Wrong email or password"):
        hub_server.client().sign_in(email, "nope-nope")
    with pytest.raises(AuthError, match="Wrong email or password"):
        hub_server.client().sign_in("ghost-" + email, "pass-word-1")
    with pytest.raises(AuthError, match="too weak"):
        hub_server.client().sign_up("x" + email, "123")
    with pytest.raises(AuthError, match="not a valid email"):
        hub_server.client().sign_up("not-an-email", "pass-word-1")
    c2 = hub_server.client()
    c2.sign_in(email.upper(), "pass-word-1")  # emails are case-insensitive
    assert c2.session.local_id == s.local_id


def test_raw_firebase_shapes(hub_server):
    email = unique("raw") + "@example.com"
    r = httpx.post(
        hub_server.auth_url + "/v1/accounts:signUp?key=anything",
        json={"email": email, "password": "abcdef", "returnSecureToken": True},
    )
    body = r.json()
    assert r.status_code == 200 and {"idToken", "refreshToken", "expiresIn", "localId", "email"} <= set(body)
    r = httpx.post(
        hub_server.auth_url + "/v1/accounts:signInWithPassword",
        json={"email": email, "password": "wrong1", "returnSecureToken": True},
    )
    assert r.status_code == 400 and r.json()["error"]["message"] == "INVALID_LOGIN_CREDENTIALS"
    r = httpx.post(
        hub_server.auth_url + "/v1/token", data={"grant_type": "refresh_token", "refresh_token": body["refreshToken"]}
    )
    assert r.status_code == 200 and {"id_token", "refresh_token", "expires_in", "user_id"} <= set(r.json())
    # hub errors are {"detail": ...}
    r = httpx.post(hub_server.hub_url + "/models/", json={"name": "x", "description": ""})
    assert r.status_code == 401 and "detail" in r.json()


def wait_for(condition, timeout: float = 30.0):
    """Poll ``condition()`` until it returns something truthy (and return that)."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)
    return result


def test_token_refresh_with_short_ttl(tmp_path, devnet_factory):
    server = start_hub(devnet_factory, tmp_path / "short", token_ttl=1)
    try:
        c = server.client(refresh_margin=0)
        c.sign_up("short@example.com", "pass-word")
        first = c.session.id_token
        wait_for(lambda: time.time() > c.session.expires_at)  # the token ages (1 s)
        # proactive path disabled by margin 0 -> the request goes out stale? No: expires_at passed,
        # so the client refreshes before sending.
        c.create_model("ttl-model", "d")
        assert c.session.id_token != first
        # a 401 on a stale token (client clock thinks it is still valid) -> one refresh + retry
        stale = c.session.id_token

        def rejected() -> httpx.Response | None:
            r = httpx.get(server.hub_url + "/models/?author=me", headers={"Authorization": f"Bearer {stale}"})
            return r if r.status_code == 401 else None

        r = wait_for(rejected)  # the server's clock, not a fixed sleep, decides when it has expired
        assert "expired" in r.json()["detail"]
        c.session.expires_at = time.time() + 3600
        assert c.create_version("ttl-model", "v")["versionString"] == "0.02"
        assert c.session.id_token != stale
        # a stored refresh token resumes a session
        c3 = server.client()
        c3.restore_session(c.session.refresh_token, "short@example.com")
        assert c3.list_models(mine=True)["total"] == 1
    finally:
        server.stop()


def test_round_trip(signed_in, tmp_path):
    name = unique("round")
    repo = signed_in.create_model(name, "a test model")
    assert repo.name == name and repo.initialVersion == "0.01"
    assert signed_in.create_version(name, "second", False)["versionString"] == "0.02"
    assert signed_in.create_version(name, "big", True)["versionString"] == "1.00"
    assert signed_in.create_version(name, "", False)["versionString"] == "1.01"
    model = tmp_path / "model.onnx"
    model.write_bytes(onnx_bytes())
    seen = []
    res = signed_in.upload(model, name, "1.00", progress=lambda s, t: seen.append((s, t)))
    assert res.modelCid == cid_for_file(model) and res.size == model.stat().st_size
    assert seen[0] == (0, res.size) and seen[-1] == (res.size, res.size)
    files = signed_in.list_files(name, "1.00")
    assert files[0]["name"] == "model.onnx" and files[0]["ipfsCid"] == res.modelCid and files[0]["isOnnx"]
    assert files[0]["signature"]["inputs"] == [{"name": "input", "dtype": "float32", "shape": [1, 3, 4]}]
    assert signed_in.list_files(name, "1") == files  # "1" means 1.00
    out = signed_in.download(res.modelCid, tmp_path / "dl")
    assert out.read_bytes() == model.read_bytes() and cid_for_file(out) == res.modelCid
    os.mkdir(tmp_path / "dir")
    out2 = signed_in.download(res.modelCid, tmp_path / "dir")
    assert out2.name == "model.onnx"
    assert signed_in.model_signature(res.modelCid)["outputs"][0]["name"] == "output"
    assert signed_in.model_signature(name=name, version="1.00")["inputs"][0]["name"] == "input"
    detail = signed_in.model_detail(name)
    assert [v["versionString"] for v in detail["versions"]] == ["0.01", "0.02", "1.00", "1.01"]
    assert detail["versions"][1]["notes"] == "second" and detail["versions"][2]["files"][0]["ipfsCid"] == res.modelCid
    assert detail["authorUsername"] and detail["description"] == "a test model"
    # identical bytes are stored once
    res2 = signed_in.upload(model, name, "0.02", filename="copy.onnx")
    assert res2.modelCid == res.modelCid
    blobs = list((Path(signed_in_data(signed_in)) / "hub" / "blobs").rglob(res.modelCid))
    assert len(blobs) == 1


def signed_in_data(client):
    return _DATA_DIR[0]


_DATA_DIR: list = []


@pytest.fixture(autouse=True)
def _remember_data_dir(hub_server):
    _DATA_DIR[:] = [hub_server.data_dir]


def test_non_onnx_flagged_and_listing(signed_in, tmp_path):
    name = unique("notonnx")
    signed_in.create_model(name, "readme inside")
    f = tmp_path / "README.md"
    f.write_text("# hello\n")
    res = signed_in.upload(f, name, "0.01")
    [entry] = signed_in.list_files(name, "0.01")
    assert entry["isOnnx"] is False and entry["signature"] is None and "not an ONNX model" in entry["error"]
    assert res.modelCid == cid_for_bytes(b"# hello\n")
    with pytest.raises(HubError) as info:
        signed_in.model_signature(res.modelCid)
    assert info.value.status == 422
    mine = signed_in.list_models(mine=True)
    assert [m["name"] for m in mine["models"]] == [name]
    found = signed_in.list_models(search=name.upper()[:10].lower())
    assert name in [m["name"] for m in found["models"]]


def test_permissions_and_missing(signed_in, hub_server, tmp_path):
    with pytest.raises(HubError) as info:
        signed_in.create_version("linear-regression", "mine now?")
    assert info.value.status == 403 and "belongs to samples" in str(info.value)
    f = tmp_path / "m.onnx"
    f.write_bytes(onnx_bytes())
    with pytest.raises(HubError) as info:
        signed_in.upload(f, "linear-regression", "0.01")
    assert info.value.status == 403
    name = unique("perm")
    signed_in.create_model(name, "")
    with pytest.raises(HubError, match=r"no version 3.00 \(existing versions: 0.01\)") as info:
        signed_in.upload(f, name, "3.00")
    assert info.value.status == 404
    with pytest.raises(HubError, match="does not exist") as info:
        signed_in.list_files("no-such-model-xyz", "0.01")
    with pytest.raises(HubError, match="already exists") as info:
        signed_in.create_model(name.upper(), "dup")
    assert info.value.status == 409
    anon = hub_server.client()
    assert anon.list_files(name, "0.01") == []  # everyone reads
    with pytest.raises(AuthError, match="Not signed in"):
        anon.create_model("x-y", "")


@pytest.mark.parametrize("bad", ["a/b", "..", "spa ce", "ctl\x07"])
def test_bad_names_rejected_by_server(signed_in, hub_server, bad):
    with pytest.raises(ValidationError):
        signed_in.create_model(bad, "")
    r = httpx.post(
        hub_server.hub_url + "/models/",
        json={"name": bad, "description": ""},
        headers={"Authorization": f"Bearer {signed_in.session.id_token}"},
    )
    assert r.status_code == 400 and "model name" in r.json()["detail"]


def test_unicode_name_ok(signed_in):
    name = unique("modèle-模型")
    assert signed_in.create_model(name, "unicode").name == name
    assert signed_in.model_detail(name)["name"] == name


def test_bad_uploads(signed_in, hub_server, tmp_path):
    name = unique("bad")
    signed_in.create_model(name, "")
    with pytest.raises(HubError, match="is a directory"):
        signed_in.upload(tmp_path, name, "0.01")
    empty = tmp_path / "empty.onnx"
    empty.write_bytes(b"")
    with pytest.raises(HubError, match="empty"):
        signed_in.upload(empty, name, "0.01")
    with pytest.raises(HubError, match="does not exist"):
        signed_in.upload(tmp_path / "missing.onnx", name, "0.01")
    if os.geteuid() != 0:
        locked = tmp_path / "locked.onnx"
        locked.write_bytes(b"x")
        locked.chmod(0)
        with pytest.raises(HubError, match="Cannot read"):
            signed_in.upload(locked, name, "0.01")
    # raw requests: traversal filename neutralised, empty body rejected by the server too
    auth = {"Authorization": f"Bearer {signed_in.session.id_token}"}
    url = f"{hub_server.hub_url}/models/{name}/versions/0.01/files"
    r = httpx.post(
        url, files={"file": ("../../../etc/passwd", b"root:x:0:0", "application/octet-stream")}, headers=auth
    )
    assert r.status_code == 201 and r.json()["name"] == "passwd"
    r = httpx.post(url, files={"file": ("e.onnx", b"", "application/octet-stream")}, headers=auth)
    assert r.status_code == 400 and "empty" in r.json()["detail"]
    r = httpx.post(url, files={"other": ("e.onnx", b"abc", "application/octet-stream")}, headers=auth)
    assert r.status_code == 400 and "'file'" in r.json()["detail"]
    r = httpx.post(url, files={"file": ("..", b"abc", "application/octet-stream")}, headers=auth)
    assert r.status_code == 400
    names = sorted(f["name"] for f in signed_in.list_files(name, "0.01"))
    assert names == ["passwd"]
    assert not list((hub_server.data_dir / "hub" / "tmp").iterdir())


def test_too_large(signed_in, hub_server, tmp_path):
    name = unique("large")
    signed_in.create_model(name, "")
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(9 * 1024 * 1024))  # server limit is 8 MiB
    with pytest.raises(HubError) as info:
        signed_in.upload(big, name, "0.01")
    assert info.value.status == 413 and "larger than" in str(info.value)
    assert signed_in.list_files(name, "0.01") == []


def test_cancel_registers_nothing(signed_in, hub_server, tmp_path):
    name = unique("cancel")
    signed_in.create_model(name, "")
    f = tmp_path / "c.bin"
    f.write_bytes(os.urandom(6 * 1024 * 1024))
    stop = threading.Event()

    def progress(sent, total):
        if sent >= 2 * 1024 * 1024:
            stop.set()

    with pytest.raises(TransferCancelled):
        signed_in.upload(f, name, "0.01", progress=progress, cancel=stop)
    # the server notices the cut upload and removes its partial file: then nothing is registered
    tmp = hub_server.data_dir / "hub" / "tmp"
    deadline = time.monotonic() + 30
    while list(tmp.iterdir()):
        assert time.monotonic() < deadline, f"the partial upload was not removed: {list(tmp.iterdir())}"
        time.sleep(0.02)
    assert signed_in.list_files(name, "0.01") == []
    res = signed_in.upload(f, name, "0.01")  # a retry works
    assert res.modelCid == cid_for_file(f)


def test_server_killed_mid_upload_then_retry(tmp_path, devnet_factory):
    data_dir = tmp_path / "kill"
    server = start_hub(devnet_factory, data_dir)
    c = server.client()
    c.sign_up("kill@example.com", "pass-word")
    c.create_model("kill-model", "")
    f = tmp_path / "k.bin"
    f.write_bytes(os.urandom(64 * 1024 * 1024))

    def progress(sent, total):
        if sent >= 8 * 1024 * 1024 and server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait()

    with pytest.raises(HubError, match="Cannot reach|did not answer|internal"):
        c.upload(f, "kill-model", "0.01", progress=progress)
    restarted = server.start()  # same data dir and port
    try:
        assert c.list_files("kill-model", "0.01") == []
        assert not list((data_dir / "hub" / "tmp").iterdir())  # the partial temp file was cleaned
        assert c.upload(f, "kill-model", "0.01").modelCid == cid_for_file(f)
    finally:
        restarted.stop()


def test_disk_full_leaves_nothing(tmp_path, monkeypatch):
    """ENOSPC while writing: 507 with a clear message, no temp file, nothing registered."""
    import asyncio
    import errno

    from og_tui.devnet.hub import blobs as blobs_mod
    from og_tui.devnet.hub.app import create_app

    app = create_app(tmp_path / "full", publish_samples=False)
    calls = {"n": 0}
    real_flush = blobs_mod.PendingBlob._flush

    def flaky_flush(self):
        calls["n"] += 1
        if calls["n"] >= 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_flush(self)

    monkeypatch.setattr(blobs_mod.PendingBlob, "_flush", flaky_flush)

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as tc:
            r = await tc.post("/auth/v1/accounts:signUp", json={"email": "d@e.com", "password": "pass-word"})
            h = {"Authorization": f"Bearer {r.json()['idToken']}"}
            r = await tc.post("/api/v0/models/", json={"name": "full", "description": ""}, headers=h)
            assert r.status_code == 201
            r = await tc.post("/api/v0/models/full/versions", json={"notes": "", "is_major": False}, headers=h)
            assert r.status_code == 201
            r = await tc.post(
                "/api/v0/models/full/versions/0.01/files",
                headers=h,
                files={"file": ("f.bin", os.urandom(5 * 1024 * 1024), "application/octet-stream")},
            )
            assert r.status_code == 507 and "disk is full" in r.json()["detail"]
            assert (await tc.get("/api/v0/models/full/versions/0.01/files")).json() == []

    asyncio.run(scenario())
    assert not list((tmp_path / "full" / "hub" / "tmp").iterdir())
    assert not [p for p in (tmp_path / "full" / "hub" / "blobs").rglob("*") if p.is_file()]


def test_samples_listed_with_signatures(hub_server):
    c = hub_server.client()
    listing = c.list_models(author="samples", limit=50)
    names = {m["name"] for m in listing["models"]}
    assert {"linear-regression", "iris-classifier", "weighted-sum", "weather-advice", "price-forecast-1h"} <= names
    detail = c.model_detail("iris-classifier")
    sig = detail["versions"][0]["files"][0]["signature"]
    assert [o["name"] for o in sig["outputs"]] == ["probabilities", "label"]
    assert sig["outputs"][1]["dtype"] == "int64" and sig["inputs"][0]["shape"] == [None, 4]
    page2 = c.list_models(page=2, limit=3, author="samples")
    assert page2["page"] == 2 and len(page2["models"]) == 3 and page2["total"] == listing["total"]


def test_unreachable_hub():
    c = HubClient("http://127.0.0.1:9/api/v0", "http://127.0.0.1:9/auth", timeout=2)
    with pytest.raises(HubError, match="Cannot reach"):
        c.list_models()
    with pytest.raises(HubError, match="Cannot reach"):
        c.sign_in("a@b.co", "pass-word")
