"""The devnet's own HTTP endpoints: ``/health``, ``/devnet/info`` and ``/faucet``."""

from __future__ import annotations

from typing import Any, Optional

import httpx

from og_tui.core.errors import ChainError, NetworkUnreachable, ValidationError

__all__ = ["DevnetClient", "base_url_from_rpc"]


def base_url_from_rpc(rpc_url: str) -> str:
    """``http://h:p/rpc`` -> ``http://h:p`` (the devnet serves everything on one port)."""
    url = httpx.URL(rpc_url)
    return str(url.copy_with(path="/", query=None, fragment=None)).rstrip("/")


class DevnetClient:
    """Thread-safe; one pooled HTTP client, created on first use."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._client: Optional[httpx.Client] = None

    @property
    def _http(self) -> httpx.Client:
        if self._client is None:
            # plain http (the devnet): no CA bundle to load
            self._client = httpx.Client(verify=not self.base_url.startswith("http://"), timeout=self.timeout)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> "DevnetClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def health(self, timeout: float = 0.5) -> Optional[dict[str, Any]]:
        """``/health`` JSON if a devnet answers ``{"status": "ok"}``, else None. Never raises."""
        try:
            resp = self._http.get(f"{self.base_url}/health", timeout=timeout)
            data = resp.json() if resp.status_code == 200 else None
        except (httpx.HTTPError, ValueError):
            return None
        if isinstance(data, dict) and data.get("status") == "ok":
            return data
        return None

    def info(self) -> dict[str, Any]:
        return self._request("GET", "/devnet/info")

    def fund(self, address: str) -> dict[str, Any]:
        """Ask the faucet for native gas tokens and payment tokens for ``address``."""
        return self._request("POST", "/faucet", json={"address": address})

    def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        url = f"{self.base_url}{path}"
        try:
            resp = self._http.request(method, url, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout):
            raise NetworkUnreachable(f"Cannot reach the devnet at {self.base_url}.") from None
        except httpx.HTTPError as exc:
            raise NetworkUnreachable(
                f"Talking to the devnet at {self.base_url} failed ({type(exc).__name__})."
            ) from None
        try:
            data = resp.json()
        except ValueError:
            data = None
        if resp.status_code == 400 and isinstance(data, dict) and data.get("error"):
            raise ValidationError(f"The devnet refused the request: {data['error']}")
        if resp.status_code >= 400 or not isinstance(data, dict):
            detail = data.get("error") if isinstance(data, dict) else resp.text[:200]
            raise ChainError(f"The devnet answered HTTP {resp.status_code} to {method} {path}: {detail}")
        return data
