"""Devnet Model Hub: Firebase-shaped auth under ``/auth`` and the hub REST API under ``/api/v0``.

The devnet server mounts :func:`routes`. Everything else is reachable for other devnet
code through :func:`get_service` (e.g. ``get_service(node).blob_path(cid)`` to load a
model by CID) and :func:`og_tui.devnet.hub.samples.sample_models`.

Settings (``node.config`` key, else environment variable, else default):
``hub_token_ttl`` / ``OG_TUI_DEVNET_TOKEN_TTL`` (seconds, 3600),
``hub_refresh_ttl`` / ``OG_TUI_DEVNET_REFRESH_TTL`` (seconds a sign-in lasts, 30 days),
``hub_max_sessions`` / ``OG_TUI_DEVNET_HUB_MAX_SESSIONS`` (live refresh tokens per account, 20),
``hub_max_upload`` / ``OG_TUI_DEVNET_HUB_MAX_UPLOAD`` (bytes, 4 GiB),
``hub_sig_max`` (bytes; larger ONNX files are stored without a signature, 16 GiB).
"""

from __future__ import annotations

import logging
from typing import Any, List, Optional

__all__ = ["routes", "get_service", "HubService"]

from og_tui.devnet.hub.service import HubService  # noqa: E402

_log = logging.getLogger(__name__)


def _cfg(node: Any, key: str) -> Optional[Any]:
    config = getattr(node, "config", None)
    if config is None:
        return None
    if isinstance(config, dict):
        return config.get(key)
    getter = getattr(config, "get", None)
    if callable(getter):
        try:
            return getter(key)
        except Exception:
            _log.debug("the hub's config getter failed; the default is used", exc_info=True)
    value = getattr(config, key, None)
    if value is None:
        extra = getattr(config, "extra", None)
        if isinstance(extra, dict):
            value = extra.get(key)
    return value


def get_service(node: Any) -> HubService:
    """The node's hub service (created on first use and cached on the node)."""
    service = getattr(node, "_og_hub_service", None)
    if service is None:
        service = HubService(
            node.data_dir,
            token_ttl=_cfg(node, "hub_token_ttl"),
            max_upload=_cfg(node, "hub_max_upload"),
            sig_max_bytes=_cfg(node, "hub_sig_max"),
            refresh_ttl=_cfg(node, "hub_refresh_ttl"),
            max_sessions=_cfg(node, "hub_max_sessions"),
        )
        try:
            node._og_hub_service = service
            if getattr(node, "hub", None) is None:
                node.hub = service
        except AttributeError:  # slotted node: not cached
            pass
    return service


def routes(node: Any) -> List[Any]:
    """Starlette routes (``/auth/...``, ``/api/v0/...``) for the devnet server."""
    from og_tui.devnet.hub.routes import make_routes

    return make_routes(get_service(node))
