"""What was checked about a reply, shown under it: the TEE proof and structured output.

- :func:`tee_line`: which TEE answered a TEE-mode reply and whether its signature
  verified (``meta["tee"]``, a ``TeeVerification.as_dict()``, kept with the message):
  "✓ TEE 0x1234…abcd · signature verified" in green, "✗ TEE … · NOT verified: <reason>"
  in red, "○ TEE proof not checked: <why>" for a stopped or broken-off reply (or one
  stored before replies were checked). A TEE reply is never shown without one of these.
- :func:`schema_line` / :func:`pretty_json`: a reply asked for with a ``response_format``
  (``meta["response_format"]``) is shown as formatted JSON with a ✓/✗ line saying whether
  it parses and matches the schema (the first validation error when not).

:func:`show_checks` puts both on an assistant message (called with its footer); the marks
(✓ ✗ ○) make each line readable without colour. Nothing here does I/O.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from textual.content import Content
from textual.widgets import Static

from og_tui.tui.format import short_hash

__all__ = [
    "tee_line",
    "schema_line",
    "pretty_json",
    "structured_format",
    "show_checks",
]


def _why_unchecked(meta: dict[str, Any]) -> str:
    if meta.get("stopped") or meta.get("cancelled"):
        return "the reply was stopped before its signed end"
    if meta.get("interrupted"):
        return "the reply broke off before its signed end"
    return "this reply carries no recorded check"


def tee_line(meta: dict[str, Any]) -> Optional[Content]:
    """The TEE line of a reply (None for replies that are not TEE-mode)."""
    from og_tui.core.tee_proof import TeeVerification

    if not meta or meta.get("mode") != "TEE":
        return None
    check = TeeVerification.from_dict(meta.get("tee"))
    if check is None:
        return Content.assemble(("○ TEE proof not checked", "bold $warning"), (f": {_why_unchecked(meta)}", "$warning"))
    who = f"TEE {short_hash(check.tee_id, 6, 4)}" if check.tee_id else "TEE (unknown)"
    if check.verified:
        return Content.assemble(("✓ ", "bold $success"), (f"{who} · signature verified", "$success"))
    reason = check.reason or "no reason given"
    return Content.assemble(("✗ ", "bold $error"), (f"{who} · NOT verified: ", "bold $error"), (reason, "$error"))


def structured_format(meta: dict[str, Any]) -> Optional[dict[str, Any]]:
    """The reply's ``response_format`` when it asked for JSON (json_object / json_schema)."""
    fmt = meta.get("response_format") if meta else None
    if isinstance(fmt, dict) and fmt.get("type") in ("json_object", "json_schema"):
        return fmt
    return None


def _parse(text: str) -> tuple[Any, Optional[str]]:
    try:
        return json.loads(text), None
    except ValueError as exc:
        return None, str(exc)


def schema_line(fmt: dict[str, Any], text: str) -> Content:
    """✓/✗: the reply parses as JSON and matches the format's schema (first error named)."""
    from og_tui.core.json_schema import SchemaError, validate

    value, error = _parse(text)
    if error is not None:
        return Content.assemble(("✗ ", "bold $error"), (f"not valid JSON: {error}", "$error"))
    if fmt.get("type") == "json_object":
        if not isinstance(value, dict):
            return Content.assemble(
                ("✗ ", "bold $error"), (f"JSON, but not an object ({type(value).__name__})", "$error")
            )
        return Content.assemble(("✓ ", "bold $success"), ("a JSON object, as asked", "$success"))
    spec = fmt.get("json_schema") if isinstance(fmt.get("json_schema"), dict) else {}
    name = str(spec.get("name") or "schema")
    try:
        problems = validate(value, spec.get("schema") if isinstance(spec.get("schema"), dict) else {})
    except SchemaError as exc:
        return Content.assemble(("✗ ", "bold $error"), (f"the schema {name} cannot be checked: {exc}", "$error"))
    if problems:
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        return Content.assemble(("✗ ", "bold $error"), (f"does not match schema {name}: {problems[0]}{more}", "$error"))
    return Content.assemble(("✓ ", "bold $success"), (f"matches schema {name}", "$success"))


def pretty_json(text: str) -> Optional[Content]:
    """The reply's JSON indented and highlighted (None when it does not parse)."""
    from textual.highlight import highlight

    value, error = _parse(text)
    if error is not None:
        return None
    return highlight(json.dumps(value, indent=2, ensure_ascii=False), language="json")


def _row(message: Any, cls: str, content: Any, *, before: Any = None, after: Any = None) -> Static:
    found = message.query(f".{cls}")
    if found:
        row = found.first(Static)
        row.update(content)
        row.display = True
        return row
    row = Static(content, classes=cls)
    message.mount(row, before=before, after=after)
    return row


def show_checks(message: Any) -> None:
    """Put the TEE line and the structured-output view on an assistant message
    (:class:`~og_tui.tui.widgets.chat_view.AssistantMessage`); called again whenever its
    footer changes. The JSON view replaces the raw text once the reply has ended."""
    meta = message.meta or {}
    footer = message.query_one(".reply-footer", Static)
    line = tee_line(meta)
    if line is not None:
        _row(message, "reply-tee", line, after=footer)
    fmt = structured_format(meta)
    text = message.text or ""
    if fmt is None or message.streaming or not text:
        return
    pretty = pretty_json(text)
    # (the JSON view goes before the tool cards; a stored reply without calls has none)
    cards = message.query(".tool-cards").first() if message.query(".tool-cards") else footer
    if pretty is not None:
        _row(message, "reply-json", pretty, before=cards)
        for body in message.query(".assistant-text, .frozen-markdown"):
            body.display = False
    _row(message, "reply-schema", schema_line(fmt, text), before=cards)
