"""Servers for other tools: programs that are not og-tui use OpenGradient through it.

* :mod:`og_tui.serve.gateway`: an OpenAI-compatible HTTP gateway paid with x402 from the
  unlocked wallet, under per-key budgets (``og-tui gateway``).

This layer uses ``core`` (wallets, caps, the LLM client, the history store) exactly as the
app does; it never imports ``tui`` or ``devnet``.
"""
