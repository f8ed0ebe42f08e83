"""The split clients of the OpenGradient SDK 1.x (``og.ModelHub``, ``og.Alpha``), over og-tui's core.

    import og_tui.sdk as og
    hub = og.ModelHub(email="you@example.com", password="...", profile="local")
    repo = hub.create_model("my-model", "A price prediction model")
    hub.upload("model.onnx", repo.name, repo.initialVersion)

    alpha = og.Alpha(private_key="0x...", rpc_url="http://127.0.0.1:8545/rpc")
    result = alpha.infer(cid, og.InferenceMode.VANILLA, {"input": [1.0, 2.0]})

Same constructors, methods, parameters and results as ``opengradient.ModelHub`` and
``opengradient.Alpha`` (1.1.4), sharing everything with the 0.5.13 surface
(:class:`og_tui.sdk.Client`): one core, one set of errors. Additions, keyword-only:
``profile=`` (an og-tui profile name such as ``"local"``, which supplies the hosts the
reference hard-codes) and, for ``ModelHub``, ``rpc_url=`` (an og-tui devnet's, whose
``/devnet/info`` supplies the hub). As with ``Client``, an ``rpc_url`` of an og-tui devnet is enough
for ``Alpha``: its ``/devnet/info`` supplies the contracts and the hub.

The hub session refreshes its token before it expires, as 1.1.4 does. The private key is
turned into a signer at once and never kept as text.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from og_tui.core.constants import INFERENCE_HUB_ADDRESS, OG_API_URL, OG_RPC_URL
from og_tui.core.types import (
    FileUploadResult,
    InferenceMode,
    InferenceResult,
    ModelRepository,
)
from og_tui.sdk.alpha import Alpha as _ClientAlpha
from og_tui.sdk.client import Client
from og_tui.sdk.exceptions import translating

__all__ = ["ModelHub", "Alpha", "build_client"]


def build_client(
    *,
    private_key: str = "",
    rpc_url: str = OG_RPC_URL,
    api_url: str = OG_API_URL,
    contract_address: str = INFERENCE_HUB_ADDRESS,
    email: Optional[str] = None,
    password: Optional[str] = None,
    profile: Optional[str] = None,
) -> Client:
    """A Client (``init``'s and the split clients'); a profile name fills what is left at the public default."""
    prof = None
    if profile is not None:
        from og_tui.core.config import load_settings

        prof = load_settings(profile).profile
        if rpc_url == OG_RPC_URL:
            rpc_url = prof.rpc_url
        if api_url == OG_API_URL:
            api_url = prof.api_url
        if contract_address == INFERENCE_HUB_ADDRESS:
            contract_address = prof.inference_contract
    return Client(
        private_key=private_key,
        rpc_url=rpc_url,
        api_url=api_url,
        contract_address=contract_address,
        email=email,
        password=password,
        profile=prof,
    )


class ModelHub:
    """Model repositories: create, version, upload and list files (email/password account).

    Signs in at construction when ``email`` is given (a wrong password fails here, as in
    1.1.4); without it, only :meth:`list_files` of public models works.
    """

    @translating()
    def __init__(
        self,
        email: Optional[str] = None,
        password: Optional[str] = None,
        *,
        profile: Optional[str] = None,
        rpc_url: Optional[str] = None,
    ):
        self._client = build_client(email=email, password=password, profile=profile, rpc_url=rpc_url or OG_RPC_URL)
        if email is not None:
            from og_tui.sdk._hub import _hub

            _hub(self._client)

    def __repr__(self) -> str:
        return f"ModelHub(email={self._client.email!r})"

    @translating()
    def create_model(self, model_name: str, model_desc: str, version: str = "1.00") -> ModelRepository:
        from og_tui.sdk._hub import _create_model

        return _create_model(self._client, model_name, model_desc, version)

    @translating()
    def create_version(self, model_name: str, notes: str = "", is_major: bool = False) -> Dict[str, Any]:
        from og_tui.sdk._hub import _create_version

        return _create_version(self._client, model_name, notes, is_major)

    @translating("upload")
    def upload(self, model_path: str, model_name: str, version: str) -> FileUploadResult:
        from og_tui.sdk._hub import _upload

        return _upload(self._client, model_path, model_name, version)

    @translating()
    def list_files(self, model_name: str, version: str) -> List[Dict[str, Any]]:
        from og_tui.sdk._hub import _list_files

        return _list_files(self._client, model_name, version)


class Alpha(_ClientAlpha):
    """On-chain ONNX inference and price-feed workflows, paid in gas from ``private_key``
    (the workflow methods are those of ``Client.alpha``)."""

    @translating()
    def __init__(
        self,
        private_key: str,
        rpc_url: str = OG_RPC_URL,
        inference_contract_address: str = INFERENCE_HUB_ADDRESS,
        api_url: str = OG_API_URL,
        *,
        profile: Optional[str] = None,
    ):
        super().__init__(
            build_client(
                private_key=private_key,
                rpc_url=rpc_url,
                api_url=api_url,
                contract_address=inference_contract_address,
                profile=profile,
            )
        )

    def __repr__(self) -> str:
        return f"Alpha(address={self._client.address!r}, rpc_url={self._client.rpc_url!r})"

    @translating()
    def infer(
        self,
        model_cid: str,
        inference_mode: InferenceMode,
        model_input: Dict[str, Any],
        max_retries: Optional[int] = None,
    ) -> InferenceResult:
        from og_tui.sdk._infer import _infer

        return _infer(self._client, model_cid, inference_mode, model_input, max_retries)

    def close(self) -> None:
        self._client.close()
