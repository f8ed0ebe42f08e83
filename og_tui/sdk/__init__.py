"""The OpenGradient SDK reference API (0.5.13), module-level, on top of og_tui.core.

    import og_tui.sdk as og
    og.init(email, password, private_key)                  # public network defaults
    og.init(email, password, private_key, profile="local") # the embedded devnet

Same names, signatures and types as the reference ``opengradient`` package; every
function raises ``RuntimeError`` until :func:`init` has been called.

Adding a function: define it in this module (or a submodule imported here), start it
with ``client = _require_client()``, add its name to ``__all__``, and call into core
(``client.chain``, ``client.account``, ``client.profile``...). tests/unit/test_sdk_init.py
checks the not-initialized error for every public function automatically.
"""

from __future__ import annotations

from typing import Any, Optional

from og_tui.core.constants import INFERENCE_HUB_ADDRESS, OG_API_URL, OG_RPC_URL
from og_tui.core.types import *  # noqa: F401,F403 - the seed's types are part of this API
from og_tui.core.types import __all__ as _types_all

# The seed's submodules, reachable as attributes (og.alpha.new_workflow, ...).
from og_tui.sdk import alpha, alphasense, defaults, exceptions, llm, types, workflow_models, x402_auth  # noqa: E402, F401
from og_tui.sdk._hub import create_model, create_version, list_files, login, upload  # noqa: E402
from og_tui.sdk._infer import infer  # noqa: E402
from og_tui.sdk._llm import llm_chat, llm_completion  # noqa: E402
from og_tui.sdk._state import SdkClient, _require_client, get_client, set_client  # noqa: F401 - re-exported
from og_tui.sdk.client import Client
from og_tui.sdk.clients import Alpha, ModelHub, build_client  # noqa: E402

__all__ = [
    "init",
    "new_client",
    "Client",
    "ModelHub",
    "Alpha",
    "login",
    "create_model",
    "create_version",
    "upload",
    "list_files",
    "llm_chat",
    "llm_completion",
    "infer",
    *_types_all,
]


def init(
    email: str,
    password: str,
    private_key: str,
    rpc_url: str = "https://ogevmdevnet.opengradient.ai",
    api_url: str = "https://sdk-devnet.opengradient.ai",
    contract_address: str = "0x8383C9bD7462F12Eb996DD02F78234C0421A6FaE",
    profile: Optional[str] = None,
) -> "Client":
    """Initialize the SDK with authentication and network settings.

    Arguments:
        email: Model Hub account email (may be None when the hub is not used).
        password: Model Hub password.
        private_key: wallet key (hex, with or without 0x) used to sign transactions;
            it is turned into a signer at once and not kept as text.
        rpc_url: JSON-RPC endpoint of the chain.
        api_url: OpenGradient node API.
        contract_address: the inference hub contract.
        profile: an og-tui profile name (e.g. ``"local"`` for the embedded devnet,
            ``"opengradient"``); it supplies ``rpc_url``, ``api_url`` and
            ``contract_address`` unless those are passed with a non-default value.

    Without a profile, an ``rpc_url`` that belongs to an og-tui devnet (``.../rpc``) is
    enough: its ``/devnet/info`` supplies the hub, LLM gateway, x402 network and contract
    addresses (``api_url`` and ``contract_address`` too, unless passed).

    Returns the :class:`Client` (its ``repr`` shows no secret); the module functions use it.
    """
    client = build_client(
        private_key=private_key,
        rpc_url=rpc_url,
        api_url=api_url,
        contract_address=contract_address,
        email=email,
        password=password,
        profile=profile,
    )
    set_client(client)
    return client


def new_client(
    email: Optional[str],
    password: Optional[str],
    private_key: str,
    rpc_url: str = OG_RPC_URL,
    api_url: str = OG_API_URL,
    contract_address: str = INFERENCE_HUB_ADDRESS,
    **kwargs: Any,
) -> Client:
    """A new, independent :class:`Client` (``init`` builds the module's one); same parameters as the reference.

    ``kwargs`` go to :class:`Client` (``og_llm_server_url``, ``profile``, ...).
    """
    return Client(
        private_key=private_key,
        rpc_url=rpc_url,
        api_url=api_url,
        contract_address=contract_address,
        email=email,
        password=password,
        **kwargs,
    )


# --- features --------------------------------------------------------------------------
# create_model, create_version, upload, list_files, login, infer, llm_chat,
# llm_completion, alpha, workflow_models, alphasense, llm, x402_auth go here (see the
# module docstring for the pattern). Only functions that really work are added.
