"""user_message: the one place that decides what a failure looks like to the user."""

from __future__ import annotations

from og_tui.core.errors import (
    InsufficientFunds,
    OGError,
    UserMessage,
    ValidationError,
    WrongPassphrase,
    user_message,
)

KEY = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"


def test_og_error_gives_its_sentence_and_its_hint():
    msg = user_message(ValidationError("Amount must be positive.", field="amount", hint="Type 0.5 for half an OG."))
    assert msg == UserMessage("Amount must be positive.", "Type 0.5 for half an OG.")
    text, hint = msg  # unpacks like the (text, hint) pairs the screens use
    assert (text, hint) == ("Amount must be positive.", "Type 0.5 for half an OG.")


def test_og_error_default_hint_is_used():
    msg = user_message(InsufficientFunds("Not enough OG for gas."))
    assert msg.text == "Not enough OG for gas."
    assert msg.hint == InsufficientFunds.default_hint
    assert user_message(WrongPassphrase()).text == "Wrong passphrase."


def test_og_error_without_hint():
    assert user_message(OGError("Something failed.")) == UserMessage("Something failed.", None)


def test_unexpected_exception_names_its_type():
    assert user_message(OSError("disk full")) == UserMessage("OSError: disk full", None)
    assert user_message(ZeroDivisionError("division by zero")).text == "ZeroDivisionError: division by zero"


def test_unexpected_exception_without_text_is_just_its_type():
    assert user_message(TimeoutError()) == UserMessage("TimeoutError", None)


def test_keys_never_reach_the_user():
    for exc in (RuntimeError(f"bad key 0x{KEY}"), OGError(f"key {KEY}", hint=f"use {KEY}")):
        text, hint = user_message(exc)
        assert KEY not in text and KEY not in (hint or "")
        assert "[redacted]" in text


def test_joined_puts_the_hint_on_its_own_line():
    assert user_message(ValidationError("Bad address.", hint="Paste a 0x address.")).joined() == (
        "Bad address.\nPaste a 0x address."
    )
    assert user_message(OGError("Bad address.")).joined() == "Bad address."
    assert UserMessage("A", "B").joined(" ") == "A B"
