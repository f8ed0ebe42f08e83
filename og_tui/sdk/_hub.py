"""Model Hub functions of the seed SDK API: login, create_model, create_version, upload, list_files.

Thin wrappers over :class:`og_tui.core.hub.HubClient`. The hub client belongs to the
client ``init()`` built: URLs come from its profile (``init(..., profile="local")`` for
the devnet) or else the public OpenGradient hub; the Firebase API key from the profile
or ``FIREBASE_API_KEY``. It signs in lazily with ``init``'s email and password, or
with :func:`login`, and refreshes its token by itself.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from og_tui.core.constants import OG_AUTH_URL, OG_HUB_URL
from og_tui.core.types import FileUploadResult, ModelRepository
from og_tui.sdk._state import SdkClient, _require_client
from og_tui.sdk.exceptions import translating

if TYPE_CHECKING:
    from og_tui.core.hub import HubClient

__all__ = ["login", "create_model", "create_version", "upload", "list_files"]

_lock = threading.Lock()


def _hub(client: SdkClient, *, auth: bool = True) -> HubClient:
    """The HubClient of an SdkClient (created on first use, signed in when ``auth``)."""
    from og_tui.core.hub import HubClient

    with _lock:
        hub = client._og_hub
        if hub is None:
            prof = client.profile
            hub = HubClient(
                getattr(prof, "hub_url", None) or OG_HUB_URL,
                getattr(prof, "auth_url", None) or OG_AUTH_URL,
                getattr(prof, "firebase_api_key", None) or os.environ.get("FIREBASE_API_KEY") or None,
            )
            client._og_hub = hub
    if auth and not hub.signed_in:
        if not client.email or not client.password:
            raise RuntimeError(
                "The Model Hub needs an account: pass email and password to og_tui.sdk.init(...) "
                "or call og_tui.sdk.login(email, password)."
            )
        hub.sign_in(client.email, client.password)
    return hub


@translating()
def login(email: str, password: str) -> Dict[str, Any]:
    """Sign in to the Model Hub (replaces init's credentials); returns the account (no tokens)."""
    client = _require_client()
    hub = _hub(client, auth=False)
    session = hub.sign_in(email, password)
    client.email, client.password = email, password
    return session.public()


def _create_model(
    client: SdkClient, model_name: str, model_desc: str, version: str = "1.00", model_path: Optional[str] = None
) -> ModelRepository:
    hub = _hub(client)
    repo = hub.create_model(model_name, model_desc, version)
    if model_path:
        hub.upload(model_path, repo.name, repo.initialVersion)
    return ModelRepository(repo.name, repo.initialVersion)


def _create_version(
    client: SdkClient, model_name: str, notes: Optional[str] = None, is_major: bool = False
) -> Dict[str, Any]:
    answer = _hub(client).create_version(model_name, notes or "", bool(is_major))
    # the reference returns only the version string ("Unknown" when the hub gave none)
    return {"versionString": answer.get("versionString") or "Unknown"}


def _upload(client: SdkClient, model_path: str, model_name: str, version: str) -> FileUploadResult:
    if not os.path.exists(model_path):  # the reference's own error, before anything is sent
        raise FileNotFoundError(f"Model file not found: {model_path}")
    up = _hub(client).upload(model_path, model_name, version)
    return FileUploadResult(up.modelCid, up.size)


def _list_files(client: SdkClient, model_name: str, version: str) -> List[Dict[str, Any]]:
    return _hub(client, auth=False).list_files(model_name, version)


@translating()
def create_model(model_name: str, model_desc: str, model_path: Optional[str] = None) -> ModelRepository:
    """Create a model repository (and its first version); upload ``model_path`` to it if given."""
    return _create_model(_require_client(), model_name, model_desc, model_path=model_path)


@translating()
def create_version(model_name: str, notes: Optional[str] = None, is_major: bool = False) -> Dict[str, Any]:
    """Create a new version of a model; returns ``{"versionString": ...}`` as the reference does."""
    return _create_version(_require_client(), model_name, notes, is_major)


@translating("upload")
def upload(model_path: str, model_name: str, version: str) -> FileUploadResult:
    """Upload a model file (streamed) to ``model_name`` ``version``; returns FileUploadResult(modelCid, size)."""
    return _upload(_require_client(), model_path, model_name, version)


@translating()
def list_files(model_name: str, version: str) -> List[Dict[str, Any]]:
    """Files of a model version: dicts with name, size, ipfsCid, isOnnx, signature."""
    return _list_files(_require_client(), model_name, version)
