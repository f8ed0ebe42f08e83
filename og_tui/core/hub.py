"""Model Hub client (REST over httpx) and the hub's naming and versioning rules.

The same code talks to the real OpenGradient hub and to the devnet hub; only the
base URLs differ (they come from the profile):

- ``hub_url``: ``https://api.opengradient.ai/api/v0`` or ``http://127.0.0.1:8745/api/v0``
- ``auth_url``: ``https://identitytoolkit.googleapis.com`` (Firebase, with ``api_key``) or
  ``http://127.0.0.1:8745/auth``. Sign-in posts to ``{auth_url}/v1/accounts:signInWithPassword``,
  sign-up to ``{auth_url}/v1/accounts:signUp``, refresh to ``{auth_url}/v1/token`` (Firebase:
  ``https://securetoken.googleapis.com/v1/token``), each with ``?key=<api_key>`` when a key is set.

The ID token is refreshed before it expires (the reference SDK never refreshes), and a
``401`` on a call made with a stale token triggers one refresh and one retry.
No Textual, no devnet imports; core never prints.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional
from urllib.parse import quote, urlsplit

import httpx

from og_tui.core.errors import AuthError, HubError, ValidationError
from og_tui.core.hub_files import HubTransfers, TransferCancelled
from og_tui.core.hub_rules import (
    MODEL_NAME_MAX,
    format_version,
    model_name_key,
    next_version,
    parse_version,
    safe_filename,
    validate_model_name,
)
from og_tui.core.hub_transport import WideReadTransport
from og_tui.core.types import ModelRepository

__all__ = [
    "HubClient",
    "HubSession",
    "HubUnreachable",
    "TransferCancelled",
    "validate_model_name",
    "model_name_key",
    "parse_version",
    "format_version",
    "next_version",
    "safe_filename",
    "MODEL_NAME_MAX",
]


class HubUnreachable(HubError):
    default_hint = "Check your network and the hub URL of the active profile, or start the devnet (og-tui devnet)."


# ---------------------------------------------------------------------------------------
# Client
# ---------------------------------------------------------------------------------------


def _json_object(data: Any, what: str) -> Dict[str, Any]:
    """``data`` when it is a JSON object; otherwise a HubError naming ``what``."""
    if not isinstance(data, dict):
        raise HubError(f"{what} from the Model Hub is not a JSON object.")
    return data


def _environment_proxies() -> bool:
    """True when the environment names an HTTP(S) proxy (what httpx would apply)."""
    from urllib.request import getproxies

    found = getproxies()
    return any(found.get(scheme) for scheme in ("http", "https", "all"))


@dataclass
class HubSession:
    email: str
    local_id: str
    id_token: str
    refresh_token: str
    expires_at: float  # epoch seconds
    lifetime: float = 3600.0

    def public(self) -> Dict[str, Any]:
        """What may be shown or logged: no tokens."""
        return {"email": self.email, "localId": self.local_id, "expiresAt": self.expires_at}


_AUTH_MESSAGES = {
    "EMAIL_NOT_FOUND": (
        "No Model Hub account exists for this email.",
        "Check the address, or sign up first (og-tui hub signup).",
    ),
    "INVALID_PASSWORD": ("Wrong password for this Model Hub account.", "Type it again; passwords are case-sensitive."),
    "INVALID_LOGIN_CREDENTIALS": ("Wrong email or password.", "Check both; passwords are case-sensitive."),
    "EMAIL_EXISTS": ("An account with this email already exists.", "Sign in instead (og-tui hub login)."),
    "WEAK_PASSWORD": ("The password is too weak.", "Use at least 6 characters."),
    "INVALID_EMAIL": ("That is not a valid email address.", None),
    "MISSING_EMAIL": ("An email address is required.", None),
    "MISSING_PASSWORD": ("A password is required.", None),
    "USER_DISABLED": ("This Model Hub account is disabled.", None),
    "TOO_MANY_ATTEMPTS_TRY_LATER": (
        "Too many failed sign-in attempts for this account.",
        "Wait, then try again with the right password: each further failure makes the wait longer.",
    ),
    "TOKEN_REVOKED": ("Your Model Hub session has ended.", "Sign in again."),
    "TOKEN_EXPIRED": ("Your Model Hub session has expired.", "Sign in again."),
    "INVALID_REFRESH_TOKEN": ("Your Model Hub session is no longer valid.", "Sign in again."),
    "USER_NOT_FOUND": ("This Model Hub account no longer exists.", "Sign up again."),
}


class HubClient(HubTransfers):
    """Synchronous Model Hub client; safe to share between threads."""

    def __init__(
        self,
        hub_url: str,
        auth_url: Optional[str] = None,
        api_key: Optional[str] = None,
        *,
        timeout: float = 30.0,
        upload_timeout: float = 3600.0,
        refresh_margin: Optional[float] = None,
        transport: Optional[httpx.BaseTransport] = None,
    ) -> None:
        self.hub_url = hub_url.rstrip("/")
        self.auth_url = (auth_url or "").rstrip("/")
        self.api_key = api_key or None
        self.timeout = timeout
        self.upload_timeout = upload_timeout
        self.refresh_margin = refresh_margin
        self.session: Optional[HubSession] = None
        self._lock = threading.RLock()
        if transport is None and not _environment_proxies():
            # Direct connections read up to 1 MiB per recv. httpx applies environment
            # proxies only to clients built without a transport, so with a proxy set
            # the default transport stays (64 KiB reads, but the proxy is honoured).
            transport = WideReadTransport()
        self._http = httpx.Client(timeout=timeout, transport=transport, follow_redirects=False)

    # ---- context management ----------------------------------------------------------
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "HubClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ---- URLs ------------------------------------------------------------------------
    def _auth_endpoint(self, op: str) -> str:
        if not self.auth_url:
            raise AuthError("This profile has no Model Hub sign-in URL (auth_url).")
        host = urlsplit(self.auth_url).hostname or ""
        if op == "token":
            if host == "identitytoolkit.googleapis.com":
                url = "https://securetoken.googleapis.com/v1/token"
            else:
                url = f"{self.auth_url}/v1/token"
        else:
            url = f"{self.auth_url}/v1/accounts:{op}"
        if self.api_key:
            url += "?key=" + quote(self.api_key, safe="")
        elif host.endswith("googleapis.com"):
            raise AuthError(
                "The profile has no Firebase API key, which the OpenGradient hub sign-in needs.",
                hint="Set firebase_api_key in the profile (config.toml) or FIREBASE_API_KEY.",
            )
        return url

    def _model_url(self, name: str, *rest: str) -> str:
        parts = [quote(name, safe="")] + [quote(r, safe="") for r in rest]
        return f"{self.hub_url}/models/" + "/".join(parts)

    # ---- auth ------------------------------------------------------------------------
    def _auth_post(self, op: str, body: Dict[str, Any]) -> Dict[str, Any]:
        url = self._auth_endpoint(op)
        try:
            resp = self._http.post(url, json=body, headers={"content-type": "application/json; charset=UTF-8"})
        except httpx.HTTPError as exc:
            raise self._unreachable(exc, self.auth_url) from None
        try:
            data = resp.json()
        except ValueError:
            data = None
        if resp.status_code >= 400 or not isinstance(data, dict):
            raise self._auth_error(resp.status_code, data)
        return data

    @staticmethod
    def _auth_error(status: int, data: Any) -> AuthError:
        message = ""
        if isinstance(data, dict):
            err = data.get("error")
            if isinstance(err, dict):
                message = str(err.get("message") or "")
            elif isinstance(err, str):  # securetoken uses {"error": "invalid_grant", ...} sometimes
                message = str(data.get("error_description") or err)
        code, _, detail = message.partition(" : ")
        code = code.strip().upper()
        if code in _AUTH_MESSAGES:
            text, hint = _AUTH_MESSAGES[code]
            if detail:
                text = f"{text[:-1]}: {detail.strip()}."
            return AuthError(text, status=status, hint=hint) if hint else AuthError(text, status=status)
        if "API key not valid" in message or "API_KEY_INVALID" in message:
            return AuthError(
                "The Firebase API key of this profile is not valid.",
                status=status,
                hint="Check firebase_api_key in the profile.",
            )
        return AuthError(f"Sign-in failed (HTTP {status}{': ' + message if message else ''}).", status=status)

    def _set_session(self, data: Dict[str, Any], email: Optional[str] = None) -> HubSession:
        id_token = data.get("idToken") or data.get("id_token")
        refresh = data.get("refreshToken") or data.get("refresh_token")
        if not id_token or not refresh:
            raise AuthError("The sign-in service answered without a token.")
        try:
            lifetime = float(data.get("expiresIn") or data.get("expires_in") or 3600)
        except (TypeError, ValueError):
            lifetime = 3600.0
        previous = self.session
        self.session = HubSession(
            email=str(data.get("email") or email or (previous.email if previous else "")),
            local_id=str(data.get("localId") or data.get("user_id") or (previous.local_id if previous else "")),
            id_token=str(id_token),
            refresh_token=str(refresh),
            expires_at=time.time() + lifetime,
            lifetime=lifetime,
        )
        return self.session

    def sign_in(self, email: str, password: str) -> HubSession:
        from og_tui.core.log import register_secret

        register_secret(password)
        with self._lock:
            data = self._auth_post(
                "signInWithPassword", {"email": email, "password": password, "returnSecureToken": True}
            )
            return self._set_session(data, email)

    def sign_up(self, email: str, password: str, display_name: Optional[str] = None) -> HubSession:
        from og_tui.core.log import register_secret

        register_secret(password)
        body: Dict[str, Any] = {"email": email, "password": password, "returnSecureToken": True}
        if display_name:
            body["displayName"] = display_name
        with self._lock:
            data = self._auth_post("signUp", body)
            return self._set_session(data, email)

    def restore_session(self, refresh_token: str, email: str = "") -> HubSession:
        """Resume from a stored refresh token (exchanged for a fresh ID token now)."""
        with self._lock:
            self.session = HubSession(email, "", "", refresh_token, 0.0, 0.0)
            return self.refresh()

    def sign_out(self) -> bool:
        """Forget the session. A devnet hub is also asked to revoke its refresh token (ending
        the session's ID tokens too); Firebase has no such call, its sign-out is local.
        Returns True when the hub confirmed the revocation. Never raises."""
        with self._lock:
            session, self.session = self.session, None
        if session is None or not self.auth_url or not session.refresh_token:
            return False
        if (urlsplit(self.auth_url).hostname or "").endswith("googleapis.com"):
            return False
        try:
            resp = self._http.post(
                self._auth_endpoint("signOut"),
                json={"refreshToken": session.refresh_token},
                timeout=min(self.timeout, 10.0),
            )
            return resp.status_code == 200 and bool(resp.json().get("revoked"))
        except (httpx.HTTPError, ValueError, AttributeError, AuthError):
            return False  # unreachable or an older hub: the token lapses on its own

    @property
    def signed_in(self) -> bool:
        return self.session is not None

    def refresh(self) -> HubSession:
        with self._lock:
            if self.session is None:
                raise AuthError("Not signed in to the Model Hub.", hint="Sign in first (og-tui hub login).")
            data = self._auth_post(
                "token", {"grant_type": "refresh_token", "refresh_token": self.session.refresh_token}
            )
            return self._set_session(data)

    def _margin(self) -> float:
        if self.refresh_margin is not None:
            return self.refresh_margin
        lifetime = self.session.lifetime if self.session else 3600.0
        return min(60.0, lifetime * 0.1)

    def _token(self, required: bool) -> Optional[str]:
        with self._lock:
            if self.session is None:
                if required:
                    raise AuthError("Not signed in to the Model Hub.", hint="Sign in first (og-tui hub login).")
                return None
            if time.time() >= self.session.expires_at - self._margin():
                self.refresh()
            return self.session.id_token

    # ---- requests --------------------------------------------------------------------
    def _unreachable(self, exc: Exception, url: str) -> HubError:
        if isinstance(exc, httpx.TimeoutException):
            return HubUnreachable(f"The Model Hub at {url} did not answer in time.")
        return HubUnreachable(f"Cannot reach the Model Hub at {url} ({type(exc).__name__}).")

    def _request(
        self,
        method: str,
        url: str,
        *,
        auth: str = "optional",  # "required" | "optional" | "none"
        stream: bool = False,
        body_factory: Optional[Callable[[], Iterator[bytes]]] = None,
        what: str = "",
        **kwargs: Any,
    ) -> httpx.Response:
        for attempt in (0, 1):
            token = self._token(auth == "required") if auth != "none" else None
            headers = dict(kwargs.pop("headers", {}) or {})
            if token:
                headers["Authorization"] = f"Bearer {token}"
            if body_factory is not None:
                kwargs["content"] = body_factory()
            try:
                req = self._http.build_request(method, url, headers=headers, **kwargs)
                resp = self._http.send(req, stream=stream)
            except TransferCancelled:
                raise
            except httpx.HTTPError as exc:
                raise self._unreachable(exc, self.hub_url) from None
            if resp.status_code == 401 and token and attempt == 0 and self.session is not None:
                resp.close()
                with self._lock:
                    self.refresh()
                kwargs["headers"] = {k: v for k, v in headers.items() if k != "Authorization"}
                continue
            if resp.status_code >= 400:
                if stream:
                    resp.read()
                    resp.close()
                raise self._hub_error(resp, what)
            return resp
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _detail(resp: httpx.Response) -> str:
        try:
            data = resp.json()
        except ValueError:
            return resp.text.strip()[:300]
        if isinstance(data, dict):
            detail = data.get("detail") or data.get("message") or data.get("error")
            if isinstance(detail, list):  # FastAPI validation errors
                detail = "; ".join(str(d.get("msg", d)) if isinstance(d, dict) else str(d) for d in detail)
            if isinstance(detail, dict):
                detail = detail.get("message") or str(detail)
            return str(detail or "")
        return str(data)[:300]

    def _hub_error(self, resp: httpx.Response, what: str) -> HubError:
        status = resp.status_code
        detail = self._detail(resp)
        prefix = f"{what}: " if what else ""
        if status == 401:
            return AuthError(
                f"{prefix}the hub did not accept your session ({detail or 'unauthorized'}).", status=status
            )
        if status == 403:
            return HubError(
                f"{prefix}{detail or 'permission denied'}",
                status=status,
                hint="Only a model's owner can add versions or files; create a model of your own.",
            )
        if status == 404:
            return HubError(f"{prefix}{detail or 'not found'}", status=status)
        if status == 409:
            return HubError(f"{prefix}{detail or 'already exists'}", status=status, hint="Pick another name.")
        if status == 413:
            return HubError(f"{prefix}{detail or 'the file is larger than the hub accepts'}", status=status)
        if status >= 500:
            return HubError(
                f"{prefix}the hub had an internal error (HTTP {status}){': ' + detail if detail else ''}.",
                status=status,
                hint="Try again later.",
            )
        return HubError(f"{prefix}{detail or f'HTTP {status}'}", status=status)

    # ---- models and versions -----------------------------------------------------------
    def create_model(self, name: str, desc: str = "", version: str = "1.00") -> ModelRepository:
        """Create a model and its first version; returns ModelRepository(name, initialVersion).

        Like the reference SDK, the first version is assigned by the hub (``0.01``);
        ``version`` only goes into its notes.
        """
        name = validate_model_name(name)
        resp = self._request(
            "POST",
            f"{self.hub_url}/models/",
            auth="required",
            json={"name": name, "description": desc or ""},
            what=f"Creating model {name!r}",
        )
        data = resp.json() if resp.content else {}
        created = data.get("name") if isinstance(data, dict) else None
        if not created:
            raise HubError(f"Creating model {name!r}: the hub answered without a model name.")
        v = self.create_version(created, notes=f"Initial version {version}" if version else "", is_major=False)
        return ModelRepository(created, v.get("versionString") or "Unknown")

    def create_version(self, name: str, notes: Optional[str] = "", is_major: bool = False) -> Dict[str, Any]:
        resp = self._request(
            "POST",
            self._model_url(name, "versions"),
            auth="required",
            json={"notes": notes or "", "is_major": bool(is_major)},
            what=f"Creating a version of {name!r}",
        )
        data = resp.json() if resp.content else {}
        if isinstance(data, list):  # the reference accepts [] as "Unknown"
            return {"versionString": "Unknown"}
        return data

    def list_models(
        self,
        page: int = 1,
        limit: int = 100,
        search: Optional[str] = None,
        mine: bool = False,
        author: Optional[str] = None,
    ) -> Dict[str, Any]:
        """``{"models": [...], "total", "page", "limit"}`` (a bare list from a hub is wrapped)."""
        params: Dict[str, Any] = {"page": page, "limit": limit}
        if search:
            params["search"] = search
        if mine:
            params["author"] = "me"
        elif author:
            params["author"] = author
        resp = self._request(
            "GET",
            f"{self.hub_url}/models/",
            params=params,
            auth="required" if mine else "optional",
            what="Listing models",
        )
        data = resp.json()
        if isinstance(data, list):
            return {"models": data, "total": None, "page": page, "limit": limit}
        data = _json_object(data, "The model list")
        data.setdefault("models", [])
        return data

    def model_detail(self, name: str) -> Dict[str, Any]:
        return _json_object(
            self._request("GET", self._model_url(name), what=f"Model {name!r}").json(), f"Model {name!r}"
        )

    def list_files(self, name: str, version: str) -> List[Dict[str, Any]]:
        resp = self._request(
            "GET", self._model_url(name, "versions", version, "files"), what=f"Files of {name!r} version {version}"
        )
        data = resp.json()
        return data if isinstance(data, list) else list(data.get("files", []))

    # ---- files: upload and download in HubTransfers (core/hub_files.py) ---------------
    def model_signature(
        self,
        cid: Optional[str] = None,
        *,
        name: Optional[str] = None,
        version: Optional[str] = None,
        download: bool = True,
    ) -> Dict[str, Any]:
        """Signature ({inputs, outputs}) of an ONNX file, by CID or by model name + version.

        Uses the hub's listing when it has one, else (unless ``download`` is False: then
        HubError) downloads the file and parses it locally (onnx imported lazily)."""
        if name is not None and version is not None:
            for f in self.list_files(name, version):
                if (cid is None or f.get("ipfsCid") == cid) and f.get("signature"):
                    return _json_object(f["signature"], f"The signature of {name!r} version {version}")
            if cid is None:
                raise HubError(f"{name!r} version {version} has no ONNX file with a signature.")
        if cid is None:
            raise ValidationError("Give a CID, or a model name and version.")
        try:
            return _json_object(
                self._request(
                    "GET", f"{self.hub_url}/files/{quote(cid, safe='')}/signature", what=f"Signature of {cid}"
                ).json(),
                f"The signature of {cid}",
            )
        except HubError as exc:
            if exc.status not in (404, 405) or not download:  # 422: stored, but not valid ONNX
                raise
        import tempfile

        from og_tui.core.onnx_sig import NotOnnx, signature_from_file

        with tempfile.TemporaryDirectory() as tmp:
            path = self.download(cid, Path(tmp) / "model.onnx")
            try:
                return signature_from_file(path)
            except NotOnnx as exc:
                raise HubError(f"{cid} is not a valid ONNX model ({exc}).") from None


def session_dict(session: HubSession) -> Dict[str, Any]:
    """Everything needed to persist a session in the secret store (contains tokens)."""
    return asdict(session)
