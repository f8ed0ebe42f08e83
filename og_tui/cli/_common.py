"""Helpers shared by the scripting subcommands (``og-tui account|hub|infer|...``).

* :func:`settings_of` reads the profile chosen with ``og-tui --profile NAME``.
* :func:`json_option` adds ``--json``; :func:`emit` prints either JSON (stdout) or
  human text; progress goes to stderr so stdout stays machine-readable.
* :func:`handle_errors` turns our errors into one line on stderr (a JSON object
  ``{"error": ..., "hint": ..., "exit_code": N}`` with ``--json``) and an exit code,
  never a traceback.
* :func:`passphrase` reads ``OG_TUI_PASSPHRASE`` or a hidden prompt.
* :func:`open_chain` starts or reuses the local devnet for devnet profiles.

Nothing here prints a private key: commands build their output from addresses,
hashes and amounts only.

Exit codes: 0 ok, 1 operation failed, 2 bad input / configuration, 3 network
unreachable, 4 insufficient funds, 5 wrong passphrase / locked wallet, 130 interrupted.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from typing import TYPE_CHECKING, Any, Callable, NoReturn, Optional

import click

if TYPE_CHECKING:  # pragma: no cover
    from og_tui.core.chain import ChainClient
    from og_tui.core.config import Settings
    from og_tui.core.devnet_proc import DevnetHandle
    from og_tui.core.secrets import WalletStore
    from og_tui.core.store import Store

PASSPHRASE_ENV = "OG_TUI_PASSPHRASE"
KEYRING_ENV = "OG_TUI_KEYRING"

EXIT_FAILED = 1
EXIT_INPUT = 2
EXIT_NETWORK = 3
EXIT_FUNDS = 4
EXIT_LOCKED = 5

LOCAL_PROFILE = "local"  # the built-in devnet profile: the only one whose devnet a command starts


# --- settings --------------------------------------------------------------------------


def profile_name(ctx: click.Context) -> Optional[str]:
    root = ctx.find_root()
    obj = root.obj if isinstance(root.obj, dict) else {}
    return obj.get("profile")


def settings_of(ctx: click.Context) -> "Settings":
    """Settings for ``og-tui --profile NAME`` (cached on the root context)."""
    root = ctx.find_root()
    root.ensure_object(dict)
    if "_settings" not in root.obj:
        from og_tui.core.config import load_settings

        settings = load_settings(root.obj.get("profile"))
        from og_tui.core.log import setup_logging

        setup_logging(settings.data_dir, root.obj.get("log_level"))
        import logging

        logging.getLogger("og_tui.cli").info("og-tui %s (profile %s)", " ".join(sys.argv[1:2]), settings.profile_name)
        for warning in settings.warnings:  # e.g. an incomplete profile that was skipped
            click.echo(f"Warning: {warning}", err=True)
        root.obj["_settings"] = settings
    return root.obj["_settings"]


def wallet_store(settings: "Settings") -> "WalletStore":
    from og_tui.core.secrets import WalletStore

    mode = os.environ.get(KEYRING_ENV, "auto").strip().lower() or "auto"
    if mode not in ("auto", "keyring", "file"):
        from og_tui.core.errors import ConfigError

        raise ConfigError(f"{KEYRING_ENV} must be auto, keyring or file, not {mode!r}.")
    settings.ensure_dirs()
    return WalletStore(settings.data_dir, mode)


def history(settings: "Settings") -> "Store":
    """The local history (the app's og-tui.db): what a command sends appears in Activity."""
    from og_tui.core.store import Store

    settings.ensure_dirs()
    return Store(settings.db_path)


# --- output ----------------------------------------------------------------------------


def json_option(fn: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON (never contains keys).")(
        fn
    )


def emit(as_json: bool, data: Any, text: Optional[str] = None) -> None:
    """JSON on stdout, or ``text`` (default: a key: value rendering of ``data``)."""
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
        return
    if text is None:
        if isinstance(data, dict):
            text = "\n".join(f"{k}: {v}" for k, v in data.items())
        else:
            text = str(data)
    click.echo(text)


def progress(as_json: bool, text: str) -> None:
    """A status line on stderr (human mode only)."""
    if not as_json:
        click.echo(text, err=True)


# HTTP answers that mean "the request as given was refused" (not "the service failed").
_INPUT_STATUSES = frozenset({400, 404, 409, 413, 422})


def exit_code(exc: BaseException) -> int:
    """The README's exit code for an error raised by core."""
    from og_tui.core import errors as E

    if isinstance(exc, (E.ValidationError, E.ConfigError, E.WalletNotFound)):
        return EXIT_INPUT
    if isinstance(exc, E.NetworkUnreachable):
        return EXIT_NETWORK
    if isinstance(exc, E.HubError):
        from og_tui.core.hub import HubUnreachable

        if isinstance(exc, HubUnreachable):
            return EXIT_NETWORK
    if isinstance(exc, E.InsufficientFunds):
        return EXIT_FUNDS
    if isinstance(exc, E.WrongPassphrase):
        return EXIT_LOCKED
    if isinstance(exc, E.TxReverted) and exc.tx_hash is None:
        # refused at the gas estimate, before anything was sent: the request itself
        # (model CID, input tensors, arguments) is what the network rejected
        return EXIT_INPUT
    if not isinstance(exc, E.AuthError) and getattr(exc, "status", None) in _INPUT_STATUSES:
        return EXIT_INPUT
    return EXIT_FAILED


def fail(as_json: bool, message: str, hint: Optional[str] = None, code: int = EXIT_FAILED) -> NoReturn:
    """Report one error and exit with ``code``: one line of text, or with ``--json`` one
    JSON object (``error``, ``hint``, ``exit_code``), on stderr either way."""
    from og_tui.core.errors import redact

    message = redact(message)
    if as_json:
        payload: dict[str, Any] = {"error": message}
        if hint:
            payload["hint"] = redact(hint)
        payload["exit_code"] = code
        click.echo(json.dumps(payload), err=True)
    else:
        click.echo(f"Error: {message}" + (f"\n{redact(hint)}" if hint else ""), err=True)
    sys.exit(code)


def handle_errors(fn: Callable) -> Callable:
    """Decorator for commands taking ``as_json``: errors -> one line + exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        as_json = bool(kwargs.get("as_json"))
        from og_tui.core.errors import OGError

        try:
            return fn(*args, **kwargs)
        except OGError as exc:
            import logging

            logging.getLogger("og_tui.cli").warning("%s failed: %s", fn.__name__, exc)
            fail(as_json, str(exc), exc.hint, exit_code(exc))
        except (click.exceptions.Exit, click.Abort, click.ClickException, SystemExit):
            raise
        except KeyboardInterrupt:
            fail(as_json, "Interrupted.", code=130)
        except Exception as exc:  # noqa: BLE001 - no tracebacks for users (the log has it)
            import logging

            logging.getLogger("og_tui.cli").exception("unexpected error in %s", fn.__name__)
            text = str(exc).splitlines()[0] if str(exc) else ""
            fail(as_json, f"Unexpected error ({type(exc).__name__}): {text}".rstrip(": "), code=EXIT_FAILED)

    return wrapper


# --- input -----------------------------------------------------------------------------


def new_passphrase(prompt: str = "New passphrase", *, required: bool = True) -> Optional[str]:
    """A passphrase the user chooses now (``OG_TUI_PASSPHRASE`` or a prompt asked twice),
    checked against the same rule as the app's (at least 8 characters); with ``required``
    False an empty answer means none (the OS keyring keeps the secret)."""
    from og_tui.core.passphrase import check_new_passphrase

    value = passphrase(prompt, confirm=True, required=required)
    return check_new_passphrase(value, allow_empty=not required)


def passphrase(prompt: str = "Passphrase", *, confirm: bool = False, required: bool = True) -> Optional[str]:
    """``OG_TUI_PASSPHRASE`` if set, else a hidden prompt on a terminal."""
    env = os.environ.get(PASSPHRASE_ENV)
    if env is not None:
        return env
    if not sys.stdin.isatty():
        if not required:
            return None
        from og_tui.core.errors import ValidationError

        raise ValidationError(
            "A passphrase is needed and there is no terminal to ask for it.",
            hint=f"Set {PASSPHRASE_ENV} for scripts.",
        )
    value = click.prompt(
        prompt,
        hide_input=True,
        confirmation_prompt=confirm,
        default="" if not required else None,
        show_default=False,
        err=True,
    )
    return value or None


def confirm_or_fail(as_json: bool, yes: bool, question: str) -> None:
    if yes:
        return
    if as_json or not sys.stdin.isatty():
        fail(as_json, "Confirmation needed; add --yes to go ahead without a prompt.", code=EXIT_INPUT)
    if not click.confirm(question, default=False, err=True):
        fail(as_json, "Cancelled; nothing was done.", code=EXIT_FAILED)


# --- chain -----------------------------------------------------------------------------


def local_devnet(settings: "Settings", as_json: bool = False) -> Optional["DevnetHandle"]:
    """Start or reuse the devnet of the built-in ``local`` profile, and say so on stderr.

    Only that profile's devnet is ever started here (its data dir is the one the app uses
    too). Any other profile, a devnet profile of the user's included, is used as
    configured: when nothing answers there, the command fails with exit code 3 and the
    URL it tried, rather than quietly starting a new, empty chain somewhere else.
    """
    profile = settings.profile
    if not (profile.is_devnet and settings.devnet_autostart and settings.profile_name == LOCAL_PROFILE):
        return None
    from og_tui.core.devnet_proc import ensure_local_devnet

    said: list[bool] = []

    def on_progress(elapsed: float, text: str) -> None:
        if not said and elapsed > 0.3:
            said.append(True)
            progress(as_json, f"{text}...")

    handle = ensure_local_devnet(settings, on_progress=on_progress)
    if handle.started:
        progress(
            as_json,
            f"Local devnet started at {handle.url} in {handle.startup_s:.1f} s "
            "(stops when this command ends; its chain is kept).",
        )
    return handle


def open_chain(settings: "Settings", as_json: bool = False) -> tuple["ChainClient", Optional["DevnetHandle"]]:
    """A ChainClient for the active profile (on the ``local`` profile, see :func:`local_devnet`).

    A devnet started here stops when the command exits (the chain state is kept in
    its data dir), so it is never left running behind a script.
    """
    from og_tui.core.chain import ChainClient

    handle = local_devnet(settings, as_json)
    return ChainClient(settings.profile.rpc_url), handle
