"""ChatSession: one LLM client per profile and wallet, made for the context's current chain client."""

from __future__ import annotations

from og_tui.tui.chat_session import ChatSession, chat_session, default_model
from og_tui.tui.context import AppContext

from .helpers import settings_for


def test_one_client_per_profile_made_with_the_current_chain(app_env):
    ctx = AppContext(settings_for(app_env), autostart_devnet=False)
    session = ChatSession(ctx)
    try:
        client = session.client(None)
        assert client.chain is ctx.chain  # passed to the constructor, not set afterwards
        assert session.client(None) is client
        assert client.caps is session.caps

        # a profile switch closes the context's chain client and makes a new one: the next
        # reply gets a client made for it (the old one stays open for a reply still using it)
        ctx.switch_profile(settings_for(app_env))
        fresh = session.client(None)
        assert fresh is not client
        assert fresh.chain is ctx.chain and client.chain is not ctx.chain
        assert session.client(None) is fresh
    finally:
        session.close()
        ctx.close()
    assert client._http.is_closed and fresh._http.is_closed  # closed with the session


def test_session_is_kept_per_context(app_env):
    ctx = AppContext(settings_for(app_env), autostart_devnet=False)
    try:
        assert chat_session(ctx) is chat_session(ctx)
        assert default_model(ctx)
    finally:
        chat_session(ctx).close()
        ctx.close()
