"""Command palette: "area: verb" commands that follow the current context."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


class ActionCommands(Provider):
    """A provider built from ``(title, action, help)`` triples.

    Subclasses list their commands in ``commands()``; each action string runs on
    ``target()`` (the app by default, a screen for screen-level providers).
    """

    def commands(self) -> list[tuple[str, str, str]]:  # pragma: no cover - overridden
        return []

    def target(self):
        return self.app

    async def discover(self) -> Hits:
        target = self.target()
        for title, action, help_text in self.commands():
            yield DiscoveryHit(title, partial(target.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        target = self.target()
        for title, action, help_text in self.commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(target.run_action, action), help=help_text)


class ScreenCommands(ActionCommands):
    """Commands whose actions run on the screen the palette was opened from."""

    def target(self):
        return self.screen


class OGCommands(ActionCommands):
    def commands(self) -> list[tuple[str, str, str]]:
        app = self.app
        commands = [
            ("go: account", "goto('account')", "Wallets, balances, faucet, send"),
            ("go: hub", "goto('hub')", "Model Hub"),
            ("go: inference", "goto('inference')", "Run a model on chain"),
            ("go: chat", "goto('chat')", "LLM chat"),
            ("go: workflows", "goto('workflows')", "Alpha workflows"),
            ("go: activity", "goto('activity')", "Transactions sent by og-tui"),
            ("account: create wallet", "on_screen('account', 'new_wallet')", "A new key, encrypted on this machine"),
            ("account: import private key", "on_screen('account', 'import_key')", "Import a hex private key"),
            ("account: import keystore", "on_screen('account', 'import_keystore')", "Import a V3 keystore JSON file"),
            ("account: switch profile", "on_screen('account', 'profile')", "local devnet, opengradient, your own"),
            ("account: refresh balances", "on_screen('account', 'refresh')", "Poll the chain now"),
            ("account: hub sign-in", "on_screen('account', 'hub_sign_in')", "Sign in to the Model Hub"),
        ]
        if app.net.address:
            commands += [
                ("account: send", "on_screen('account', 'send')", "Send OG or OUSDC"),
                ("account: copy address", "copy_address", app.net.address),
                ("account: export keystore", "on_screen('account', 'export')", "Write an encrypted keystore file"),
            ]
        if app.ctx.is_devnet:
            commands.append(
                ("account: faucet", "on_screen('account', 'fund')", "Fund the active wallet from the devnet faucet")
            )
        if app.ctx.is_devnet:
            commands += [
                ("devnet: start", "devnet_start", "Start the local devnet (or retry a failed start now)"),
                ("devnet: stop", "devnet_stop", "Stop the devnet og-tui started"),
                ("devnet: restart", "devnet_restart", "Stop the devnet og-tui started and start it again"),
                ("devnet: log", "show_log('devnet')", "The devnet's output, followed as it is written"),
            ]
        if app.gateway is None:
            commands.append(
                (
                    "gateway: start",
                    "gateway_toggle",
                    "Serve an OpenAI-compatible API on 127.0.0.1, paid from the wallet",
                )
            )
        else:
            commands.append(("gateway: stop", "gateway_toggle", f"Stop the gateway on {app.gateway.url}"))
        commands.append(("gateway: show", "gateway_show", "The gateway's state, its API keys and their spend"))
        commands.append(
            ("tee: registry", "screen.tee_registry", "The TEEs of the registry: endpoints, heartbeats, PCR hashes")
        )
        commands.append(("activity: refresh", "on_screen('activity', 'refresh')", "Reload the transaction list"))
        commands += [
            ("app: keys", "key_reference", "Every key of this screen, grouped, with what it does (?)"),
            ("app: log", "show_log", "og-tui's log and the devnet's: follow, filter (F10)"),
            ("app: notifications", "show_notifications", "Every notification of this session, newest first (alt+n)"),
            ("app: log file", "show_log_path", "Where og-tui writes its log (copied to the clipboard)"),
        ]
        return commands
