"""``og-tui infer``: run an ONNX model on-chain and print its outputs.

    og-tui infer --model CID --mode VANILLA --input '{"input": [[1, 2, 3]]}'
    og-tui infer --model CID --mode TEE --input-file x.npz --json

The transaction is signed by the active wallet (passphrase from ``OG_TUI_PASSPHRASE``
or a hidden prompt). Errors are one line on stderr (``{"error": ...}`` with ``--json``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import click

from og_tui.cli._common import (
    emit,
    handle_errors,
    history,
    json_option,
    open_chain,
    passphrase,
    progress,
    settings_of,
    wallet_store,
)


def load_input(text: Optional[str], path: Optional[Path]) -> dict:
    """``--input JSON`` or ``--input-file`` (.json, .npy, .npz) -> ``{name: value}``."""
    from og_tui.core.errors import ValidationError

    if text is not None and path is not None:
        raise ValidationError("Use either --input or --input-file, not both.")
    if text is None and path is None:
        raise ValidationError("Give the model input with --input JSON or --input-file FILE.")
    if text is not None:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ValidationError(f"--input is not valid JSON ({exc}).") from None
        if not isinstance(data, dict):
            raise ValidationError("--input must be a JSON object of tensor name -> values.")
        return data
    assert path is not None
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValidationError(f"{path} must hold a JSON object of tensor name -> values.")
            return data
        import numpy as np

        if suffix == ".npz":
            with np.load(path, allow_pickle=False) as archive:
                return {name: archive[name] for name in archive.files}
        if suffix == ".npy":
            arr = np.load(path, allow_pickle=False)
            return {"input": arr}
    except ValidationError:
        raise
    except (OSError, ValueError) as exc:
        raise ValidationError(f"Cannot read {path}: {exc}.") from None
    raise ValidationError(f"{path}: use a .json, .npy (one tensor named 'input') or .npz file.")


def outputs_json(model_output: dict) -> dict:
    out = {}
    for name, value in model_output.items():
        try:
            out[name] = {"dtype": str(value.dtype), "shape": list(value.shape), "values": value.tolist()}
        except AttributeError:
            out[name] = {"values": value}
    return out


def _format_value(value: Any) -> str:
    import numpy as np

    if isinstance(value, np.ndarray) and value.dtype.kind == "O" and value.ndim == 0:
        return json.dumps(value.item(), default=str)
    with np.printoptions(precision=6, suppress=True, threshold=200, linewidth=100):
        return str(value)


def prefixed_hash(value: str) -> str:
    """A transaction hash as scripts expect it: ``0x`` and 64 hex digits."""
    text = str(value)
    return text if text.startswith("0x") else "0x" + text


def model_signature(settings: Any, cid: str) -> Optional[dict]:
    """The model's input/output signature from the profile's hub listing, or None when the
    hub cannot tell (no listing for that CID, not reachable): then the chain checks alone."""
    from og_tui.core.errors import OGError
    from og_tui.core.hub import HubClient

    profile = settings.profile
    client = HubClient(profile.hub_url, profile.auth_url, getattr(profile, "firebase_api_key", None), timeout=5.0)
    try:
        sig = client.model_signature(cid, download=False)
    except OGError:
        return None
    finally:
        client.close()
    return sig if isinstance(sig, dict) and sig.get("inputs") else None


@click.command("infer")
@click.option("--model", "model_cid", required=True, help="CID of the ONNX model file.")
@click.option(
    "--mode",
    type=click.Choice(["VANILLA", "ZKML", "TEE"], case_sensitive=False),
    default="VANILLA",
    show_default=True,
    help="Inference mode.",
)
@click.option("--input", "input_text", default=None, help='Input as JSON: {"name": [[...]], ...}.')
@click.option(
    "--input-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Input from a .json, .npy (tensor 'input') or .npz file.",
)
@click.option("--max-retries", type=int, default=None, help="Attempts on nonce errors (default 5).")
@json_option
@click.pass_context
@handle_errors
def infer(
    ctx: click.Context,
    model_cid: str,
    mode: str,
    input_text: Optional[str],
    input_file: Optional[Path],
    max_retries: Optional[int],
    as_json: bool,
) -> None:
    """Run an ONNX model on-chain (signed by the active wallet) and print its outputs."""
    from og_tui.core.errors import WalletNotFound
    from og_tui.core.inference import InferenceClient, check_input, encode_input, fit_outputs

    model_input = load_input(input_text, input_file)
    encode_input(model_input)  # bad input fails here, before any wallet or network work
    settings = settings_of(ctx)
    store = wallet_store(settings)
    info = store.active()
    if info is None:
        raise WalletNotFound("There is no active wallet.", hint="Create one with `og-tui account new --use`.")
    secret = passphrase(f"Passphrase for {info.name}") if store.needs_passphrase(info.address) else None
    signer = store.unlock(info.address, secret)
    chain, handle = open_chain(settings, as_json)
    try:
        signature = model_signature(settings, model_cid)
        if signature is not None:  # wrong tensor names or shapes: exit 2 before any gas is spent
            check_input(model_input, signature)
        profile = settings.profile
        client = InferenceClient(chain, profile.inference_contract, profile.api_url)

        def on_status(stage: str, data: dict) -> None:
            if stage in ("estimating", "sent", "fetching"):
                progress(as_json, f"{stage}...")

        from og_tui.core.history import TxRecorder

        with history(settings) as store:
            recorder = TxRecorder(
                store,
                profile.name,
                "inference",
                from_addr=signer.address,
                to_addr=profile.inference_contract,
                detail={"model": model_cid, "mode": mode.upper(), "source": "cli"},
                then=on_status,
            )
            try:
                run = client.infer(signer, model_cid, mode, model_input, max_retries=max_retries, on_status=recorder)
            except BaseException as exc:
                recorder.failed(exc)
                raise
            finally:
                client.close()
    finally:
        chain.close()
        if handle is not None:
            handle.stop()
    outputs = fit_outputs(run.model_output, signature)  # int64 outputs stay integers
    tx_hash = prefixed_hash(run.transaction_hash)
    if as_json:
        data = run.summary()
        data["transaction_hash"] = tx_hash
        data["outputs"] = outputs_json(outputs)
        emit(True, data)
        return
    lines = [f"tx {tx_hash}  block {run.block}  gas {run.gas_used:,}  {run.latency_s * 1000:.0f} ms"]
    if run.attestation is not None:
        a = run.attestation
        lines.append(f"TEE attestation verified: signer {a.signer} ({a.note})")
    for name, value in outputs.items():
        shape = "x".join(map(str, getattr(value, "shape", ()))) or "scalar"
        lines.append(f"{name} ({getattr(value, 'dtype', '?')}, {shape}):")
        lines.append("  " + _format_value(value).replace("\n", "\n  "))
    emit(False, None, "\n".join(lines))
