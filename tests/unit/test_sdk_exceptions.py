"""og-tui errors leave og_tui.sdk as the reference SDK's exception classes, keeping their text."""

from __future__ import annotations

import pytest

from og_tui.core import errors as E
from og_tui.sdk import exceptions as X


@pytest.mark.parametrize(
    "err, sdk_cls",
    [
        (E.ValidationError("Bad tensor shape.", field="input"), X.InvalidInputError),
        (E.AuthError("Wrong password."), X.AuthenticationError),
        (E.InsufficientFunds("Not enough OPG for gas."), X.InsufficientCreditsError),
        (E.NetworkUnreachable("No answer from http://x/rpc."), X.NetworkError),
        (E.TxReverted("The inference was reverted.", reason="no model"), X.InferenceError),
        (E.HubError("Hub is down.", status=503), X.ServerError),
        (E.HubError("Slow down.", status=429), X.RateLimitError),
        (E.HubError("No such model.", status=404), X.OpenGradientError),
    ],
)
def test_translated_error_is_both(err, sdk_cls):
    new = X.translate(err)
    assert isinstance(new, sdk_cls) and isinstance(new, X.OpenGradientError)
    assert isinstance(new, type(err)) and isinstance(new, E.OGError)
    assert str(new) == str(err)  # og-tui's text, without "(Status code: ...)"
    assert new.hint == err.hint
    assert new.status_code == getattr(err, "status", None)


def test_invalid_fields_and_upload_context():
    new = X.translate(E.ValidationError("Bad.", field="model_input"))
    assert new.invalid_fields == ["model_input"]
    up = X.translate(E.HubError("Upload refused.", status=400), "upload")
    assert isinstance(up, X.UploadError)


def test_decorator_translates_and_passes_others():
    @X.translating()
    def fails(exc):
        raise exc

    with pytest.raises(X.AuthenticationError, match="Wrong password"):
        fails(E.AuthError("Wrong password."))
    with pytest.raises(ValueError):
        fails(ValueError("not ours"))


def test_sdk_classes_behave_like_reference():
    err = X.OpenGradientError("boom", status_code=500)
    assert str(err) == "boom (Status code: 500)"
    assert str(X.FileNotFoundError("/x")) == "File not found: /x (Status code: None)"


def test_langchain_adapter_errors_are_sdk_exceptions():
    pytest.importorskip("langchain_core")
    from og_tui.sdk.llm import langchain_adapter

    chat = langchain_adapter("0x" + "11" * 32, "openai/gpt-4o", rpc_url="http://127.0.0.1:9/rpc")  # nothing listens
    with pytest.raises(X.OpenGradientError) as info:
        chat.invoke("hello")
    assert isinstance(info.value, E.OGError) and "127.0.0.1:9" in str(info.value)
