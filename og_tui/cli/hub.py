"""`og-tui hub ...`: the Model Hub from scripts.

Credentials, first found wins: ``--email``/``--password-stdin``, ``OG_TUI_HUB_EMAIL`` /
``OG_TUI_HUB_PASSWORD``, the sign-in saved by ``og-tui hub login`` (secret store; its
passphrase from ``OG_TUI_PASSPHRASE`` when there is no OS keyring), a prompt on a
terminal. The password and tokens are never printed. With ``--json`` every command
prints one JSON document on stdout and no progress bar.
"""

from __future__ import annotations

import os
import sys
import threading
from contextlib import contextmanager
from typing import Any, Iterator, Optional, Tuple

import click

from og_tui.cli._common import (
    emit,
    handle_errors,
    json_option,
    local_devnet,
    new_passphrase,
    passphrase,
    settings_of,
    wallet_store,
)

EMAIL_ENV = "OG_TUI_HUB_EMAIL"
PASSWORD_ENV = "OG_TUI_HUB_PASSWORD"


def _fmt_size(n: Optional[int]) -> str:
    if n is None:
        return "?"
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(n)


@contextmanager
def _hub(ctx: click.Context, as_json: bool) -> Iterator[Any]:
    """A HubClient for the active profile (starting/reusing the devnet on a devnet profile)."""
    from og_tui.core.hub import HubClient

    settings = settings_of(ctx)
    profile = settings.profile
    handle = local_devnet(settings, as_json)
    client = HubClient(
        profile.hub_url,
        profile.auth_url,
        getattr(profile, "firebase_api_key", None) or os.environ.get("FIREBASE_API_KEY") or None,
    )
    try:
        yield client
    finally:
        if client.signed_in:
            client.sign_out()  # each command signs in afresh: end its session (a devnet hub revokes it)
        client.close()
        if handle is not None and handle.started:
            handle.stop()


def _credentials(
    ctx: click.Context, email: Optional[str], password: Optional[str], *, use_store: bool = True, confirm: bool = False
) -> Tuple[str, str]:
    email = email or os.environ.get(EMAIL_ENV) or None
    password = password or os.environ.get(PASSWORD_ENV) or None
    if use_store and (email is None or password is None):
        settings = settings_of(ctx)
        store = wallet_store(settings)
        stored_email = store.hub_email(settings.profile_name)
        if stored_email and (email is None or email == stored_email):
            pp = (
                passphrase("Passphrase of the saved hub sign-in")
                if store.hub_needs_passphrase(settings.profile_name)
                else None
            )
            creds = store.get_hub_credentials(settings.profile_name, pp)
            if creds is not None:
                return creds.email, creds.password
    interactive = sys.stdin.isatty()
    if email is None:
        if not interactive:
            from og_tui.core.errors import AuthError

            raise AuthError(
                "No Model Hub account given.",
                hint=f"Run og-tui hub login, or pass --email with --password-stdin, or set {EMAIL_ENV} and {PASSWORD_ENV}.",
            )
        email = click.prompt("Email")
    if password is None:
        if not interactive:
            from og_tui.core.errors import AuthError

            raise AuthError("No Model Hub password given.", hint=f"Pipe it to --password-stdin or set {PASSWORD_ENV}.")
        password = click.prompt("Password", hide_input=True, confirmation_prompt=confirm)
    return email, password


def _signed_in(ctx: click.Context, client: Any, email: Optional[str], password: Optional[str]) -> None:
    e, p = _credentials(ctx, email, password)
    client.sign_in(e, p)


def _save(ctx: click.Context, email: str, password: str) -> str:
    settings = settings_of(ctx)
    store = wallet_store(settings)
    try:
        return store.set_hub_credentials(settings.profile_name, email, password)
    except Exception as first:  # no keyring: encrypt with a passphrase
        from og_tui.core.errors import ValidationError

        if not isinstance(first, ValidationError) or first.field != "passphrase":
            raise
        pp = new_passphrase("Passphrase to encrypt the saved hub sign-in")
        return store.set_hub_credentials(settings.profile_name, email, password, pp)


def _password_from_stdin(ctx: click.Context, param: click.Parameter, value: bool) -> Optional[str]:
    if not value:
        return None
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise click.BadParameter("standard input held no password.", ctx=ctx, param=param)
    return line


def _no_password_argument(ctx: click.Context, param: click.Parameter, value: Optional[str]) -> None:
    if value is not None:
        raise click.UsageError(
            "Passwords are not taken as arguments (other users can read them in the process list): "
            f"use --password-stdin, set {PASSWORD_ENV}, or answer the prompt.",
            ctx=ctx,
        )


def account_options(fn):
    fn = click.option(
        "--password",
        "_password_argument",
        default=None,
        hidden=True,
        expose_value=False,
        callback=_no_password_argument,
    )(fn)
    fn = click.option(
        "--password-stdin",
        "password",
        is_flag=True,
        callback=_password_from_stdin,
        help=f"Read the hub password from standard input (default: ${PASSWORD_ENV}, the saved sign-in, or a prompt).",
    )(fn)
    fn = click.option("--email", default=None, help=f"Hub email (default: ${EMAIL_ENV} or the saved sign-in).")(fn)
    return fn


@click.group()
def hub() -> None:
    """Model Hub: accounts, models, versions, files."""


@hub.command()
@account_options
@click.option("--save/--no-save", default=True, show_default=True, help="Remember the sign-in in the secret store.")
@json_option
@click.pass_context
@handle_errors
def login(ctx: click.Context, email: Optional[str], password: Optional[str], save: bool, as_json: bool) -> None:
    """Sign in to the Model Hub of the active profile."""
    e, p = _credentials(ctx, email, password, use_store=False)
    with _hub(ctx, as_json) as client:
        session = client.sign_in(e, p)
    storage = _save(ctx, e, p) if save else None
    emit(
        as_json,
        {"email": session.email, "localId": session.local_id, "saved": storage},
        f"Signed in as {session.email}." + (f" Sign-in saved ({storage})." if storage else ""),
    )


@hub.command()
@account_options
@click.option("--name", "display_name", default=None, help="Username shown as the author of your models.")
@click.option("--save/--no-save", default=True, show_default=True, help="Remember the sign-in in the secret store.")
@json_option
@click.pass_context
@handle_errors
def signup(
    ctx: click.Context,
    email: Optional[str],
    password: Optional[str],
    display_name: Optional[str],
    save: bool,
    as_json: bool,
) -> None:
    """Create a Model Hub account (devnet; on the public network use https://hub.opengradient.ai/signup)."""
    e, p = _credentials(ctx, email, password, use_store=False, confirm=True)
    with _hub(ctx, as_json) as client:
        session = client.sign_up(e, p, display_name)
    storage = _save(ctx, e, p) if save else None
    emit(
        as_json,
        {"email": session.email, "localId": session.local_id, "saved": storage},
        f"Account {session.email} created and signed in." + (f" Sign-in saved ({storage})." if storage else ""),
    )


@hub.command()
@json_option
@click.pass_context
@handle_errors
def logout(ctx: click.Context, as_json: bool) -> None:
    """Forget the Model Hub sign-in saved for the active profile."""
    settings = settings_of(ctx)
    store = wallet_store(settings)
    email = store.hub_email(settings.profile_name)
    if email:
        store.delete_hub_credentials(settings.profile_name)
    emit(
        as_json,
        {"email": email, "forgotten": bool(email)},
        f"Forgot the saved sign-in of {email}." if email else "No Model Hub sign-in was saved for this profile.",
    )


@hub.command()
@click.option("--mine", is_flag=True, help="Only my models (needs a sign-in).")
@click.option("--search", default=None, help="Filter by name, description or author.")
@click.option("--author", default=None, help="Only models of this username.")
@click.option("--page", default=1, show_default=True, type=click.IntRange(1))
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10000))
@account_options
@json_option
@click.pass_context
@handle_errors
def models(ctx, mine, search, author, page, limit, email, password, as_json) -> None:
    """List and search models."""
    with _hub(ctx, as_json) as client:
        if mine:
            _signed_in(ctx, client, email, password)
        result = client.list_models(page=page, limit=limit, search=search, mine=mine, author=author)
    if as_json:
        emit(True, result)
        return
    rows = result["models"]
    if not rows:
        click.echo("No models.")
        return
    width = min(40, max(len(m["name"]) for m in rows))
    for m in rows:
        desc = (m.get("description") or "").replace("\n", " ")
        click.echo(
            f"{m['name']:<{width}}  {m.get('authorUsername') or '':<14}  {m.get('latestVersion') or '-':>6}  {desc[:60]}"
        )
    total = result.get("total")
    if total is not None:
        click.echo(f"-- page {result.get('page')} ({len(rows)} of {total})", err=True)


@hub.command()
@click.argument("name")
@json_option
@click.pass_context
@handle_errors
def show(ctx, name, as_json) -> None:
    """A model's description, versions and files (with ONNX signatures)."""
    from og_tui.core.onnx_sig import format_signature

    with _hub(ctx, as_json) as client:
        detail = client.model_detail(name)
    if as_json:
        emit(True, detail)
        return
    click.echo(f"{detail['name']} by {detail.get('authorUsername')}")
    if detail.get("description"):
        click.echo(detail["description"])
    for v in detail.get("versions", []):
        click.echo(f"\nversion {v['versionString']}" + (f" — {v['notes']}" if v.get("notes") else ""))
        for f in v.get("files", []):
            click.echo(f"  {f['name']}  {_fmt_size(f.get('size'))}  {f['ipfsCid']}")
            for line in format_signature(f.get("signature") or {}):
                click.echo(f"      {line}")


@hub.command("create-model")
@click.argument("name")
@click.option("--description", "-d", default="", help="What the model does.")
@click.option("--file", "model_path", type=click.Path(), default=None, help="Upload this file to the first version.")
@account_options
@json_option
@click.pass_context
@handle_errors
def create_model(ctx, name, description, model_path, email, password, as_json) -> None:
    """Create a model (and its first version)."""
    with _hub(ctx, as_json) as client:
        _signed_in(ctx, client, email, password)
        repo = client.create_model(name, description)
        out: dict = {"name": repo.name, "initialVersion": repo.initialVersion}
        if model_path:
            res = _upload(client, model_path, repo.name, repo.initialVersion, as_json)
            out["upload"] = {"modelCid": res.modelCid, "size": res.size}
    text = f"Created {repo.name}, version {repo.initialVersion}."
    if "upload" in out:
        text += f"\nUploaded {out['upload']['size']} bytes: {out['upload']['modelCid']}"
    emit(as_json, out, text)


@hub.command("create-version")
@click.argument("name")
@click.option("--notes", "-n", default="", help="Release notes.")
@click.option("--major", is_flag=True, help="Next whole number instead of +0.01.")
@account_options
@json_option
@click.pass_context
@handle_errors
def create_version(ctx, name, notes, major, email, password, as_json) -> None:
    """Create the next version of a model."""
    with _hub(ctx, as_json) as client:
        _signed_in(ctx, client, email, password)
        result = client.create_version(name, notes, major)
    emit(as_json, result, f"Created {name} version {result.get('versionString')}.")


def _upload(client: Any, path: str, name: str, version: str, as_json: bool) -> Any:
    if as_json or not sys.stderr.isatty():
        return client.upload(path, name, version)
    cancel = threading.Event()
    label = os.path.basename(path)
    with click.progressbar(
        length=max(1, os.path.getsize(path)),
        label=f"Uploading {label}",
        file=sys.stderr,
        show_eta=True,
        show_percent=True,
    ) as bar:
        last = [0]

        def on_progress(sent: int, total: int) -> None:
            bar.update(sent - last[0])
            last[0] = sent

        try:
            return client.upload(path, name, version, progress=on_progress, cancel=cancel)
        except KeyboardInterrupt:
            cancel.set()
            raise


@hub.command()
@click.argument("path", type=click.Path())
@click.argument("name")
@click.argument("version")
@account_options
@json_option
@click.pass_context
@handle_errors
def upload(ctx, path, name, version, email, password, as_json) -> None:
    """Upload PATH to model NAME, version VERSION (streamed; progress bar on a terminal)."""
    with _hub(ctx, as_json) as client:
        _signed_in(ctx, client, email, password)
        res = _upload(client, path, name, version, as_json)
    emit(as_json, {"modelCid": res.modelCid, "size": res.size}, f"Uploaded {res.size} bytes.\nCID: {res.modelCid}")


@hub.command()
@click.argument("name")
@click.argument("version")
@json_option
@click.pass_context
@handle_errors
def files(ctx, name, version, as_json) -> None:
    """Files of a model version (name, size, CID, ONNX signature)."""
    from og_tui.core.onnx_sig import format_signature

    with _hub(ctx, as_json) as client:
        result = client.list_files(name, version)
    if as_json:
        emit(True, result)
        return
    if not result:
        click.echo(f"{name} {version} has no files.")
    for f in result:
        flag = "" if f.get("isOnnx") else "  (not ONNX)" if f.get("isOnnx") is False else "  (not analysed)"
        click.echo(f"{f['name']}  {_fmt_size(f.get('size'))}  {f['ipfsCid']}{flag}")
        for line in format_signature(f.get("signature") or {}):
            click.echo(f"    {line}")


@hub.command()
@click.argument("cid")
@click.argument("dest", type=click.Path(), default=".")
@click.option("--force", is_flag=True, help="Replace DEST (or the file of that name in DEST) if it exists.")
@json_option
@click.pass_context
@handle_errors
def download(ctx, cid, dest, force, as_json) -> None:
    """Download file CID to DEST (a file, or a directory: the hub's filename, without path
    parts or leading dots, is used). An existing file is replaced only with --force."""
    with _hub(ctx, as_json) as client:
        if as_json or not sys.stderr.isatty():
            path = client.download(cid, dest, overwrite=force)
        else:
            with click.progressbar(length=1, label=f"Downloading {cid[:16]}…", file=sys.stderr, show_eta=True) as bar:
                last = [0]

                def on_progress(done: int, total: int) -> None:
                    if total and bar.length != total:
                        bar.length = total
                    bar.update(done - last[0])
                    last[0] = done

                path = client.download(cid, dest, progress=on_progress, overwrite=force)
    size = os.path.getsize(path)
    emit(as_json, {"path": str(path), "size": size, "cid": cid}, f"Saved {size} bytes to {path}.")
