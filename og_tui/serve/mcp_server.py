"""``og-tui mcp``: OpenGradient models, workflows and LLMs as MCP tools (the official ``mcp`` SDK).

Tools (what ``[mcp]`` in config.toml exposes, see :mod:`og_tui.core.mcp_config`):

* ``list_models``: the exposed Hub models, their tools, input and output tensors;
* ``run_<model>``: one per exposed model, its arguments the model's input tensors (the
  schema follows the ONNX signature); runs the model on chain and answers the outputs and
  the mined transaction as structured content;
* ``list_workflows`` / ``read_workflow``: the exposed workflows; a workflow's latest result
  and, with ``history``, its last results;
* ``chat``: one reply of an OpenGradient LLM, paid with x402 within the spend caps.

A call that spends (a model run: gas; chat: OUSDC) may need a confirmation first
(``confirm`` in ``[mcp]``): it adds a row to the approval queue and waits for a yes in the
app or from ``og-tui mcp approvals approve ID``; a no or no answer in time refuses the call
and nothing is signed. Errors are tool results with ``isError`` and a sentence that says
what was wrong (a spend cap reached: nothing signed).

Transports: stdio (:meth:`McpApp.run_stdio`) and streamable HTTP on a loopback address
(:meth:`McpApp.http_app`), where every request needs ``Authorization: Bearer <key>`` with a
key from ``og-tui mcp keys new``.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any, Callable, Dict, List, Optional

import anyio
import anyio.to_thread
from mcp import types
from mcp.server import Server

from og_tui.core import errors as E

_log = logging.getLogger(__name__)

__all__ = ["McpApp", "KeyGuard", "DEFAULT_PORT", "SERVER_NAME"]

DEFAULT_PORT = 8747
SERVER_NAME = "og-tui"

_TEXT = {"type": "string"}
_ANY_OBJECT = {"type": "object"}
_NULLABLE_TEXT = {"type": ["string", "null"]}

LIST_MODELS_OUT = {
    "type": "object",
    "properties": {"models": {"type": "array", "items": _ANY_OBJECT}},
    "required": ["models"],
}
LIST_WORKFLOWS_OUT = {
    "type": "object",
    "properties": {"workflows": {"type": "array", "items": _ANY_OBJECT}},
    "required": ["workflows"],
}
READ_WORKFLOW_IN = {
    "type": "object",
    "properties": {
        "workflow": {"type": "string", "description": "The workflow's address (0x...) or name, from list_workflows."},
        "history": {
            "type": "integer",
            "minimum": 0,
            "maximum": 50,
            "default": 0,
            "description": "How many of its last results to add (most recent first); 0: only the latest.",
        },
    },
    "required": ["workflow"],
    "additionalProperties": False,
}
READ_WORKFLOW_OUT = {
    "type": "object",
    "properties": {
        "address": _TEXT,
        "name": _NULLABLE_TEXT,
        "title": _NULLABLE_TEXT,
        "kind": _TEXT,
        "latest": {
            "type": "object",
            "properties": {"time": {"type": ["integer", "null"]}, "output": _ANY_OBJECT, "forecast": _TEXT},
            "required": ["output"],
        },
        "history": {"type": "array", "items": _ANY_OBJECT},
    },
    "required": ["address", "latest"],
}
CHAT_OUT = {
    "type": "object",
    "properties": {
        "model": _TEXT,
        "content": _TEXT,
        "finish_reason": _NULLABLE_TEXT,
        "prompt_tokens": {"type": "integer"},
        "completion_tokens": {"type": "integer"},
        "cost": {"type": "string", "description": "Paid, in atomic units of the payment token."},
        "cost_text": _NULLABLE_TEXT,
        "payment_hash": _NULLABLE_TEXT,
        "settlement_mode": _NULLABLE_TEXT,
        "settlement_status": _NULLABLE_TEXT,
        "settlement_tx": _NULLABLE_TEXT,
        "latency_s": {"type": "number"},
    },
    "required": ["model", "content", "cost"],
}


def _model_out(model: Any) -> Dict[str, Any]:
    outputs = {
        str(o.get("name")): {
            "type": "object",
            "description": f"{o.get('dtype')} tensor",
            "properties": {"dtype": _NULLABLE_TEXT, "shape": {"type": ["array", "null"]}, "values": {}},
            "required": ["values"],
        }
        for o in (model.signature or {}).get("outputs") or []
    }
    return {
        "type": "object",
        "properties": {
            "model": _TEXT,
            "version": _NULLABLE_TEXT,
            "cid": _TEXT,
            "mode": _TEXT,
            "outputs": {"type": "object", "properties": outputs},
            "transaction_hash": _TEXT,
            "block": {"type": "integer"},
            "gas_used": {"type": "integer"},
            "fee_wei": {"type": "string"},
            "explorer": _NULLABLE_TEXT,
        },
        "required": ["outputs", "transaction_hash", "block"],
    }


class Refused(E.OGError):
    """A call the approval queue did not let through (denied or not answered in time)."""


def _text(data: Any) -> str:
    return json.dumps(data, indent=1, default=str)


def _error(exc: BaseException) -> types.CallToolResult:
    if isinstance(exc, E.OGError):
        text = exc.user_text()
    else:
        _log.exception("unexpected error in an MCP tool call")
        text = f"Unexpected error ({type(exc).__name__}); og-tui's log has the details."
    return types.CallToolResult(content=[types.TextContent(text=text)], is_error=True)


class McpApp:
    """The MCP server over a :class:`og_tui.serve.mcp_tools.McpBackend`."""

    def __init__(
        self,
        backend: Any,
        *,
        approvals: Any = None,
        server_name: str = "default",
        on_event: Optional[Callable[[str], None]] = None,
    ) -> None:
        self.backend = backend
        self.config = backend.config
        self.approvals = approvals
        self.server_name = server_name
        self.on_event = on_event
        self.server: Server[Any] = Server(
            SERVER_NAME,
            version=_version(),
            title="og-tui (OpenGradient)",
            instructions=(
                "OpenGradient tools: run Hub models on chain (run_* tools, one per model; list_models shows "
                "their tensors), read price-forecast workflows (list_workflows, read_workflow) and chat with "
                "OpenGradient LLMs (chat). Runs and chats are paid from the user's wallet within spend caps; "
                "some need the user's approval first."
            ),
            on_list_tools=self._list_tools,
            on_call_tool=self._call_tool,
        )

    # -- tools ---------------------------------------------------------------------------------------
    def tools(self) -> List[types.Tool]:
        cfg = self.config
        ro = types.ToolAnnotations(read_only_hint=True, open_world_hint=True)
        tools = [
            types.Tool(
                name="list_models",
                description="The OpenGradient Hub models this server exposes: each one's tool, version, CID "
                "and input/output tensors (name, dtype, shape).",
                input_schema={"type": "object", "properties": {}, "additionalProperties": False},
                output_schema=LIST_MODELS_OUT,
                annotations=ro,
            )
        ]
        for m in self.backend.models():
            if m.error or not m.signature:
                continue
            from og_tui.serve.mcp_tools import model_input_schema

            ask = " Asks the user for approval first." if cfg.needs_confirmation("model", m.name) else ""
            tools.append(
                types.Tool(
                    name=m.tool,
                    description=(
                        f"Run the OpenGradient model {m.name} {m.version} on chain ({cfg.inference_mode}); "
                        f"{m.description} Costs gas from the user's wallet.{ask}"
                    ).replace("  ", " "),
                    input_schema=model_input_schema(m.signature),
                    output_schema=_model_out(m),
                    annotations=types.ToolAnnotations(
                        title=f"Run {m.name}", read_only_hint=False, destructive_hint=False, open_world_hint=True
                    ),
                )
            )
        if cfg.workflows:
            tools.append(
                types.Tool(
                    name="list_workflows",
                    description="The OpenGradient workflows (scheduled on-chain model runs, e.g. price "
                    "forecasts) this server exposes: address, name, pair.",
                    input_schema={"type": "object", "properties": {}, "additionalProperties": False},
                    output_schema=LIST_WORKFLOWS_OUT,
                    annotations=ro,
                )
            )
            tools.append(
                types.Tool(
                    name="read_workflow",
                    description="A workflow's latest result (and, with history, its last results), read "
                    "from the chain. Free.",
                    input_schema=READ_WORKFLOW_IN,
                    output_schema=READ_WORKFLOW_OUT,
                    annotations=ro,
                )
            )
        if cfg.chat:
            ask = " Asks the user for approval first." if cfg.needs_confirmation("chat") else ""
            tools.append(
                types.Tool(
                    name="chat",
                    description="One reply of an OpenGradient LLM (TEE), paid in OUSDC with x402 from the "
                    f"user's wallet within the spend caps.{ask}",
                    input_schema={
                        "type": "object",
                        "properties": {
                            "prompt": {"type": "string", "description": "A user message (or give messages)."},
                            "messages": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {"role": _TEXT, "content": _TEXT},
                                    "required": ["role"],
                                },
                                "description": "The conversation, OpenAI-style.",
                            },
                            "model": {"type": "string", "description": "The LLM (default: the first allowed)."},
                            "max_tokens": {"type": "integer", "minimum": 1, "maximum": cfg.chat_max_tokens},
                            "temperature": {"type": "number", "minimum": 0, "maximum": 2},
                        },
                        "additionalProperties": False,
                    },
                    output_schema=CHAT_OUT,
                    annotations=types.ToolAnnotations(read_only_hint=False, open_world_hint=True),
                )
            )
        return tools

    async def _list_tools(self, ctx: Any, params: Any) -> types.ListToolsResult:
        tools = await anyio.to_thread.run_sync(self.tools)
        return types.ListToolsResult(tools=tools)

    async def _call_tool(self, ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        name, arguments = params.name, dict(params.arguments or {})
        gone = threading.Event()  # the client cancelled the call (or went away): do not spend for it
        try:
            data = await anyio.to_thread.run_sync(self.call, name, arguments, gone.is_set, abandon_on_cancel=True)
        except anyio.get_cancelled_exc_class():
            gone.set()
            raise
        except Exception as exc:  # noqa: BLE001 - every failure is a tool error the agent can read
            self._event(f"{name}: refused or failed: {exc}")
            return _error(exc)
        return types.CallToolResult(content=[types.TextContent(text=_text(data))], structured_content=data)

    def _event(self, text: str) -> None:
        _log.info("mcp: %s", text)
        if self.on_event is not None:
            try:
                self.on_event(text)
            except Exception:  # noqa: BLE001 - a report must not break a call
                pass

    def call(
        self, name: str, arguments: Dict[str, Any], cancelled: Optional[Callable[[], bool]] = None
    ) -> Dict[str, Any]:
        """Serve one tool call (in a worker thread): the structured result, or raise.
        ``cancelled()`` true: the caller gave up; a call waiting for an approval stops waiting."""
        b, cfg = self.backend, self.config
        if name == "list_models":
            return {"models": [m.as_dict() for m in b.models()]}
        if name == "list_workflows" and cfg.workflows:
            return {"workflows": b.workflows()}
        if name == "read_workflow" and cfg.workflows:
            return b.read_workflow(arguments.get("workflow", ""), arguments.get("history", 0))
        if name == "chat" and cfg.chat:
            request = b.chat_request(arguments)
            if cfg.needs_confirmation("chat"):
                self._confirm(name, arguments, b.price_text(request["model"], request["max_tokens"]), cancelled)
            result = b.chat(request)
            self._event(f"chat with {request['model']}: paid {result['cost_text'] or result['cost']}")
            return result
        model = b.model_for_tool(name) if name.startswith("run_") else None
        if model is not None:
            if cfg.needs_confirmation("model", model.name):
                from og_tui.core.inference import check_input, encode_input

                encode_input(arguments)  # a bad input is refused before anyone is asked
                if model.signature:
                    check_input(arguments, model.signature)
                fee = b.gas_check(model, arguments)  # over the gas cap: refused before anyone is asked
                spend = (
                    f"{fee} for one {cfg.inference_mode} inference transaction of {model.name} {model.version}, "
                    f"paid by {b.address}"
                )
                self._confirm(name, arguments, spend, cancelled)
            result = b.run_model(model, arguments)
            self._event(f"{name}: mined in block {result['block']} ({result['transaction_hash']})")
            return result
        raise E.ValidationError(
            f"Unknown tool {name!r}.",
            hint="tools/list shows this server's tools (a model that failed to load has none).",
        )

    def _confirm(
        self, tool: str, arguments: Dict[str, Any], spend: str, cancelled: Optional[Callable[[], bool]] = None
    ) -> None:
        if self.approvals is None:
            raise Refused(f"{tool} needs an approval and this server has no approval queue; nothing was signed.")
        timeout = self.config.approval_timeout
        approval = self.approvals.request(
            tool,
            arguments,
            spend,
            timeout=timeout,
            server=self.server_name,
            profile=getattr(self.backend.profile, "name", None),
        )
        self._event(
            f"{tool} waits for approval #{approval.id} (og-tui mcp approvals approve {approval.id}, or in the app)"
        )
        status = self.approvals.wait(approval.id, cancelled)
        if status == "approved" and not (cancelled is not None and cancelled()):
            return
        if status == "approved":
            raise Refused(f"The client gave up on this call (approval #{approval.id}); nothing was signed.")
        if status == "denied":
            raise Refused(f"The user denied this call (approval #{approval.id}); nothing was signed.")
        raise Refused(
            f"No approval within {timeout:.0f} s (approval #{approval.id}); nothing was signed.",
            hint="Ask the user to approve it in og-tui (or with 'og-tui mcp approvals approve ID'), then try again.",
        )

    # -- transports ----------------------------------------------------------------------------------
    async def run_stdio(self) -> None:
        from mcp.server.stdio import stdio_server

        async with stdio_server() as (read_stream, write_stream):
            await self.server.run(read_stream, write_stream, self.server.create_initialization_options())

    def http_app(self, keys: Any, host: str = "127.0.0.1") -> Any:
        """The streamable-HTTP ASGI app at ``/mcp``, every request checked by :class:`KeyGuard`."""
        app = self.server.streamable_http_app(streamable_http_path="/mcp", host=host)
        return KeyGuard(app, keys)


class KeyGuard:
    """ASGI middleware: an HTTP request without a live ``Authorization: Bearer`` key gets a 401."""

    def __init__(self, app: Any, keys: Any) -> None:
        self.app = app
        self.keys = keys

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)  # lifespan
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers") or []}
        value = headers.get("authorization", "")
        secret = value[7:].strip() if value[:7].lower() == "bearer " else None
        from og_tui.serve.mcp_store import McpKeyRefused

        try:
            await anyio.to_thread.run_sync(self.keys.authenticate, secret)
        except McpKeyRefused as exc:
            body = json.dumps({"error": {"code": "unauthorized", "message": str(exc)}}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"www-authenticate", b'Bearer realm="og-tui mcp"'),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("og-tui")
    except Exception:  # noqa: BLE001 - not installed as a distribution
        return "0"
