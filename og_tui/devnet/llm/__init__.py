"""The devnet's LLM service: an OpenAI-shaped gateway paid with x402, and on-chain LLM calls.

``routes(node)`` builds the :class:`~og_tui.devnet.llm.gateway.Gateway` for a node
(payment service, settlement registry contract, batch settler), registers
``runLLMChat`` / ``runLLMCompletion`` on the inference hub when it exists, and returns
the Starlette routes (``/v1/...``). See gateway.py, payments.py, builtin.py, catalog.py.
"""

from __future__ import annotations

from typing import Any

__all__ = ["routes", "gateway_of"]


def gateway_of(node: Any):
    """The node's gateway (created on first use, cached on the node)."""
    gw = getattr(node, "_og_llm_gateway", None)
    if gw is None:
        from og_tui.devnet.llm.gateway import Gateway
        from og_tui.devnet.llm.onchain import install

        gw = Gateway(node)
        install(gw)
        node._og_llm_gateway = gw
    return gw


def routes(node: Any) -> list:
    return gateway_of(node).routes()
