"""Servers for other tools: programs that are not og-tui use OpenGradient through it.

* :mod:`og_tui.serve.gateway`: an OpenAI-compatible HTTP gateway paid with x402 from the
  unlocked wallet, under per-key budgets (``og-tui gateway``).
* :mod:`og_tui.serve.mcp_server`: an MCP server (stdio, or keyed streamable HTTP on a
  loopback address) giving agents Hub models, workflows and LLM chat as tools, with an
  approval queue for calls that spend (``og-tui mcp``).

This layer uses ``core`` (wallets, caps, the LLM client, the history store) exactly as the
app does; it never imports ``tui`` or ``devnet``.
"""
