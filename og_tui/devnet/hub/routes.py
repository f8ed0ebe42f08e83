"""Starlette routes of the devnet hub: ``/auth/...`` (Firebase-shaped) and ``/api/v0/...``.

Uploads are parsed with python-multipart's streaming parser straight from
``request.stream()`` into a temp file of the blob store (hashing on the way): the body
is never held in memory and Starlette's form parser (which spools to /tmp) is not used.
"""

from __future__ import annotations

import errno
import json
import logging
from typing import Any, Dict, List, Optional

import anyio
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from og_tui.core.errors import ValidationError
from og_tui.core.hub import safe_filename
from og_tui.devnet.hub.auth import AuthFailure, User
from og_tui.devnet.hub.blobs import PendingBlob, UploadTooLarge
from og_tui.devnet.hub.service import HubProblem, HubService

__all__ = ["make_routes"]

log = logging.getLogger("og_tui.devnet.hub")
MULTIPART_OVERHEAD = 64 * 1024


def _problem(status: int, detail: str, headers: Optional[Dict[str, str]] = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def _firebase_error(exc: AuthFailure) -> JSONResponse:
    message = exc.code + (f" : {exc.detail}" if exc.detail else "")
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
    return JSONResponse(
        {
            "error": {
                "code": exc.status,
                "message": message,
                "errors": [{"message": message, "domain": "global", "reason": "invalid"}],
            }
        },
        status_code=exc.status,
        headers=headers,
    )


class _BigChunkFileResponse(FileResponse):
    chunk_size = 1024 * 1024


async def _json_body(request: Request) -> Dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    ctype = request.headers.get("content-type", "")
    if "application/x-www-form-urlencoded" in ctype:
        from urllib.parse import parse_qsl

        return dict(parse_qsl(raw.decode("utf-8", "replace")))
    try:
        data = json.loads(raw)
    except ValueError:
        raise HubProblem(400, "The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise HubProblem(400, "The request body must be a JSON object.")
    return data


def make_routes(service: HubService) -> List[Route]:
    # ---- auth helpers ------------------------------------------------------------
    def bearer(request: Request) -> Optional[str]:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            return header[7:].strip() or None
        return None

    async def current_user(request: Request, required: bool) -> Optional[User]:
        token = bearer(request)
        if token is None:
            if required:
                raise HubProblem(401, "Sign in first: this request needs an 'Authorization: Bearer <idToken>' header.")
            return None
        try:
            return service.auth.verify_id_token(token)
        except AuthFailure as exc:
            if exc.code == "TOKEN_EXPIRED":
                raise HubProblem(401, "Your ID token has expired; refresh it and retry.") from None
            if exc.code == "TOKEN_REVOKED":
                raise HubProblem(
                    401, "This sign-in session has ended (signed out or expired); sign in again."
                ) from None
            raise HubProblem(401, "Invalid ID token; sign in again.") from None

    def guarded(handler):
        async def endpoint(request: Request) -> Response:
            try:
                return await handler(request)
            except HubProblem as exc:
                headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
                return _problem(exc.status, exc.detail, headers)
            except AuthFailure as exc:
                return _firebase_error(exc)

        endpoint.__name__ = handler.__name__
        return endpoint

    def session_json(user: User, kind: str, registered: bool) -> Dict[str, Any]:
        id_token, ttl, refresh = service.auth.start_session(user)
        out = {
            "kind": kind,
            "localId": user.uid,
            "email": user.email,
            "displayName": user.username,
            "idToken": id_token,
            "refreshToken": refresh,
            "expiresIn": str(ttl),
        }
        if registered:
            out["registered"] = True
        return out

    # ---- /auth ---------------------------------------------------------------------
    async def sign_up(request: Request) -> Response:
        body = await _json_body(request)
        user = await anyio.to_thread.run_sync(
            service.auth.sign_up, body.get("email"), body.get("password"), body.get("displayName")
        )
        return JSONResponse(session_json(user, "identitytoolkit#SignupNewUserResponse", False))

    async def sign_in(request: Request) -> Response:
        body = await _json_body(request)
        user = await anyio.to_thread.run_sync(service.auth.sign_in, body.get("email"), body.get("password"))
        return JSONResponse(session_json(user, "identitytoolkit#VerifyPasswordResponse", True))

    def refresh_token_of(body: Dict[str, Any]) -> Any:
        return body.get("refresh_token") or body.get("refreshToken")

    async def token(request: Request) -> Response:
        body = await _json_body(request)
        grant = body.get("grant_type") or body.get("grantType")
        if grant != "refresh_token":
            raise AuthFailure("INVALID_GRANT_TYPE")
        refresh = refresh_token_of(body)
        user, id_token, ttl = service.auth.exchange_refresh_token(refresh)
        return JSONResponse(
            {
                "access_token": id_token,
                "expires_in": str(ttl),
                "token_type": "Bearer",
                "refresh_token": refresh,
                "id_token": id_token,
                "user_id": user.uid,
                "project_id": "og-devnet",
            }
        )

    async def sign_out(request: Request) -> Response:
        """Devnet only (Firebase signs out on the client): revoke a refresh token and end its
        session, ID tokens included. Idempotent, like OAuth token revocation (RFC 7009)."""
        body = await _json_body(request)
        refresh = refresh_token_of(body)
        if not isinstance(refresh, str) or not refresh:
            raise AuthFailure("MISSING_REFRESH_TOKEN")
        revoked = service.auth.revoke(refresh)
        return JSONResponse({"kind": "og-devnet#SignOutResponse", "revoked": revoked})

    # ---- /api/v0 models ------------------------------------------------------------
    async def models_list(request: Request) -> Response:
        q = request.query_params
        viewer = await current_user(request, required=q.get("author") == "me")
        result = service.list_models(
            q.get("page", 1),
            q.get("limit", 100),
            q.get("search") or None,
            q.get("author") or q.get("authorUsername") or None,
            viewer,
            q.get("sort", "name"),
        )
        return JSONResponse(result)

    async def models_create(request: Request) -> Response:
        user = await current_user(request, required=True)
        body = await _json_body(request)
        return JSONResponse(
            service.create_model(user, body.get("name"), body.get("description", ""), body.get("taskName", "")),
            status_code=201,
        )

    async def model_detail(request: Request) -> Response:
        return JSONResponse(service.model_detail(request.path_params["name"]))

    async def versions(request: Request) -> Response:
        name = request.path_params["name"]
        if request.method == "GET":
            return JSONResponse(service.list_versions(name))
        user = await current_user(request, required=True)
        body = await _json_body(request)
        is_major = body.get("is_major", body.get("isMajor", False))
        return JSONResponse(service.create_version(user, name, body.get("notes", ""), is_major), status_code=201)

    async def latest_files(request: Request) -> Response:
        detail = service.model_detail(request.path_params["name"])
        files = detail["versions"][-1]["files"] if detail["versions"] else []
        ext = request.query_params.get("extension")
        if ext:
            files = [f for f in files if f["name"].lower().endswith("." + ext.lower().lstrip("."))]
        return JSONResponse(files)

    async def files(request: Request) -> Response:
        name, version = request.path_params["name"], request.path_params["version"]
        if request.method == "GET":
            return JSONResponse(service.list_files(name, version))
        user = await current_user(request, required=True)
        _, version_row = service.upload_target(user, name, version)
        return await receive_upload(request, version_row)

    # ---- upload --------------------------------------------------------------------
    async def receive_upload(request: Request, version_row) -> Response:
        from python_multipart.exceptions import MultipartParseError
        from python_multipart.multipart import MultipartParser, parse_options_header

        ctype, params = parse_options_header(request.headers.get("content-type", ""))
        boundary = params.get(b"boundary")
        if ctype != b"multipart/form-data" or not boundary:
            raise HubProblem(415, "Upload the file as multipart/form-data with a field named 'file'.")
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > service.max_upload + MULTIPART_OVERHEAD:
            raise HubProblem(413, f"The file is larger than this hub accepts ({_size(service.max_upload)}).")

        state: Dict[str, Any] = {
            "headers": [],
            "field": b"",
            "value": b"",
            "pending": None,
            "filename": None,
            "in_file": False,
            "done": False,
        }

        def on_part_begin() -> None:
            state["headers"] = []

        def on_header_field(data: bytes, start: int, end: int) -> None:
            state["field"] += data[start:end]

        def on_header_value(data: bytes, start: int, end: int) -> None:
            state["value"] += data[start:end]

        def on_header_end() -> None:
            state["headers"].append((state["field"].lower(), state["value"]))
            state["field"] = state["value"] = b""

        def on_headers_finished() -> None:
            disposition = dict(state["headers"]).get(b"content-disposition", b"")
            _, opts = parse_options_header(disposition)
            state["in_file"] = False
            if opts.get(b"name") == b"file" and state["pending"] is None and not state["done"]:
                raw = opts.get(b"filename")
                state["filename"] = raw.decode("utf-8", "replace") if raw is not None else "file"
                state["pending"] = service.blobs.begin(service.max_upload)
                state["in_file"] = True

        def on_part_data(data: bytes, start: int, end: int) -> None:
            if state["in_file"]:
                state["pending"].write(data[start:end])

        def on_part_end() -> None:
            if state["in_file"]:
                state["in_file"] = False
                state["done"] = True

        parser = MultipartParser(
            boundary,
            {
                "on_part_begin": on_part_begin,
                "on_header_field": on_header_field,
                "on_header_value": on_header_value,
                "on_header_end": on_header_end,
                "on_headers_finished": on_headers_finished,
                "on_part_data": on_part_data,
                "on_part_end": on_part_end,
            },
        )
        pending: Optional[PendingBlob] = None
        committed = False
        try:
            try:
                async for chunk in request.stream():
                    if chunk:
                        parser.write(chunk)
                parser.finalize()
            finally:
                pending = state["pending"]
            if pending is None or not state["done"]:
                raise HubProblem(400, "The upload has no complete multipart field named 'file'.")
            try:
                filename = safe_filename(state["filename"])
            except ValidationError as exc:
                raise HubProblem(400, str(exc)) from None
            cid, size = pending.finish()
            if size == 0:
                raise HubProblem(400, f"'{filename}' is empty; an empty file cannot be uploaded.")
            is_onnx, sig, err = await anyio.to_thread.run_sync(service.analyze, pending.tmp_path, size)
            await anyio.to_thread.run_sync(pending.commit, cid)
            committed = True
            info = service.register_file(version_row, filename, cid, size, is_onnx, sig, err)
        except UploadTooLarge:
            raise HubProblem(413, f"The file is larger than this hub accepts ({_size(service.max_upload)}).") from None
        except ClientDisconnect:
            log.info("upload aborted by the client; nothing registered")
            return _problem(400, "The upload was interrupted; nothing was stored.")
        except MultipartParseError as exc:
            raise HubProblem(400, f"The multipart body is malformed ({exc}).") from None
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise HubProblem(
                    507, "The devnet disk is full; the upload was discarded. Free some space and retry."
                ) from None
            raise
        finally:
            if pending is not None and not committed:
                pending.abort()
        body = {"ipfsCid": cid, "size": size, **{k: v for k, v in info.items() if k not in ("ipfsCid", "size")}}
        return JSONResponse(body, status_code=201)

    # ---- downloads -------------------------------------------------------------------
    async def file_download(request: Request) -> Response:
        info = service.blob_info(request.path_params["cid"])
        return _BigChunkFileResponse(
            info["path"],
            filename=info["name"],
            media_type="application/octet-stream",
            headers={"x-ipfs-cid": info["cid"]},
        )

    async def file_signature(request: Request) -> Response:
        info = service.blob_info(request.path_params["cid"])
        if not info["signature"]:
            raise HubProblem(422, f"{info['cid']} is {info['error'] or 'not valid ONNX'}.")
        return JSONResponse(info["signature"])

    g = guarded
    return [
        Route("/auth/v1/accounts:signUp", g(sign_up), methods=["POST"]),
        Route("/auth/v1/accounts:signInWithPassword", g(sign_in), methods=["POST"]),
        Route("/auth/v3/relyingparty/verifyPassword", g(sign_in), methods=["POST"]),
        Route("/auth/v3/relyingparty/signupNewUser", g(sign_up), methods=["POST"]),
        Route("/auth/v1/token", g(token), methods=["POST"]),
        Route("/auth/v1/accounts:signOut", g(sign_out), methods=["POST"]),
        Route("/api/v0/models/", g(models_list), methods=["GET"]),
        Route("/api/v0/models", g(models_list), methods=["GET"]),
        Route("/api/v0/models/", g(models_create), methods=["POST"]),
        Route("/api/v0/models", g(models_create), methods=["POST"]),
        Route("/api/v0/models/{name}", g(model_detail), methods=["GET"]),
        Route("/api/v0/models/{name}/versions", g(versions), methods=["GET", "POST"]),
        Route("/api/v0/models/{name}/files", g(latest_files), methods=["GET"]),
        Route("/api/v0/models/{name}/versions/{version}/files", g(files), methods=["GET", "POST"]),
        Route("/api/v0/files/{cid}", g(file_download), methods=["GET", "HEAD"]),
        Route("/api/v0/files/{cid}/signature", g(file_signature), methods=["GET"]),
    ]


def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}".replace(".0 ", " ")
        n /= 1024
    return str(n)
