"""What the devnet LLM gateway accepts: request validation, the error body, the request hash.

``parse_request(kind, body, catalog)`` checks an OpenAI-shaped chat or completion body
(model, ``max_tokens``/``max_completion_tokens``, temperature, seed, stop, prompt or
messages, tools and ``tool_choice``, ``tokens_per_second``) and returns the model, the
:class:`~og_tui.devnet.llm.builtin.GenRequest` and the extras (``stream``, rate), or raises
:class:`BadRequest`; ``error_response`` is the JSON error ``{"error": {"message", "type",
"code"}}`` (with ``backend`` when one is named); ``request_hash_of`` is what a payment for a
request is bound to.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from starlette.responses import JSONResponse

from og_tui.devnet.llm.builtin import GenRequest
from og_tui.devnet.llm.catalog import Catalog, ModelSpec
from og_tui.devnet.llm.payments_accept import hash_hex

MAX_TOKENS_LIMIT = 100_000


class BadRequest(Exception):
    def __init__(self, message: str, code: str = "invalid_request", status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


def error_response(
    message: str, code: str, status: int, backend: Optional[str] = None, etype: Optional[str] = None
) -> JSONResponse:
    body: dict[str, Any] = {"error": {"message": message, "type": etype or code, "code": code}}
    headers = {}
    if backend:
        body["backend"] = backend
        headers["x-og-backend"] = backend
    return JSONResponse(body, status_code=status, headers=headers)


# --- request parsing ------------------------------------------------------------------------


def _check_tools(tools: Any) -> list:
    if tools in (None, []):
        return []
    if not isinstance(tools, list):
        raise BadRequest(
            "Malformed tools: 'tools' must be a JSON array of {type: 'function', function: {name, parameters}}.",
            "invalid_tools",
        )
    for i, t in enumerate(tools):
        fn = t.get("function") if isinstance(t, dict) else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str) or not fn["name"].strip():
            raise BadRequest(
                f'Malformed tool at index {i}: expected {{"type": "function", "function": {{"name": ..., "parameters": {{...}}}}}}.',
                "invalid_tools",
            )
        params = fn.get("parameters")
        if params is not None and not isinstance(params, dict):
            raise BadRequest(
                f"Malformed tool {fn['name']!r}: 'parameters' must be a JSON schema object.", "invalid_tools"
            )
    return tools


def _check_stop(stop: Any) -> list:
    if stop in (None, "", []):
        return []
    if isinstance(stop, str):
        return [stop]
    if isinstance(stop, list) and all(isinstance(s, str) for s in stop):
        return [s for s in stop if s]
    raise BadRequest("'stop' must be a string or an array of strings.", "invalid_stop")


def parse_request(kind: str, body: Any, catalog: Catalog) -> tuple[ModelSpec, GenRequest, dict]:
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    model = body.get("model")
    spec = catalog.find(model)
    if spec is None:
        sample = ", ".join(s.id for s in list(catalog.models.values())[-3:])
        raise BadRequest(
            f"Unknown model {model!r}. GET /v1/models lists the models of this devnet (e.g. {sample}).",
            "unknown_model",
            404,
        )
    max_tokens = body.get("max_tokens", 100)
    if body.get("max_completion_tokens") is not None and body.get("max_tokens") is None:
        max_tokens = body["max_completion_tokens"]
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or not 1 <= max_tokens <= MAX_TOKENS_LIMIT:
        raise BadRequest(
            f"'max_tokens' must be an integer from 1 to {MAX_TOKENS_LIMIT}, not {max_tokens!r}.", "invalid_max_tokens"
        )
    temperature = body.get("temperature", 0.0)
    if temperature is None:
        temperature = 0.0
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not 0 <= temperature <= 2:
        raise BadRequest(f"'temperature' must be a number from 0 to 2, not {temperature!r}.", "invalid_temperature")
    seed = body.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise BadRequest("'seed' must be an integer.", "invalid_seed")
    req = GenRequest(
        kind=kind,
        model=spec.id,
        max_tokens=max_tokens,
        temperature=float(temperature),
        stop=_check_stop(body.get("stop")),
        seed=seed,
        ignore_eos=bool(body.get("ignore_eos")),
    )
    if kind == "completion":
        prompt = body.get("prompt")
        if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
            prompt = prompt[0]
        if not isinstance(prompt, str):
            raise BadRequest("'prompt' must be a string.", "invalid_prompt")
        req.prompt = prompt
    else:
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise BadRequest("'messages' must be a non-empty array of {role, content} objects.", "invalid_messages")
        for i, m in enumerate(messages):
            if not isinstance(m, dict) or m.get("role") not in (
                "system",
                "user",
                "assistant",
                "tool",
                "developer",
                "function",
            ):
                raise BadRequest(
                    f"Message {i} must be an object with a role of system, user, assistant or tool.", "invalid_messages"
                )
            if m.get("role") == "tool" and not m.get("tool_call_id"):
                raise BadRequest(
                    f"Message {i} (role tool) needs the 'tool_call_id' of the call it answers.", "invalid_messages"
                )
        req.messages = messages
        req.tools = _check_tools(body.get("tools"))
        choice = body.get("tool_choice")
        if choice not in (None, "", "auto", "none", "required"):
            name = (
                choice
                if isinstance(choice, str)
                else ((choice.get("function") or {}).get("name") if isinstance(choice, dict) else None)
            )
            names = [t["function"]["name"] for t in req.tools]
            if not name or name not in names:
                raise BadRequest(
                    f"'tool_choice' names {name or choice!r}, which is not among the offered tools {names}.",
                    "invalid_tool_choice",
                )
        if choice == "required" and not req.tools:
            raise BadRequest("'tool_choice' is 'required' but no tools were offered.", "invalid_tool_choice")
        req.tool_choice = choice
    extras = {"stream": bool(body.get("stream")), "tokens_per_second": body.get("tokens_per_second")}
    rate = extras["tokens_per_second"]
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, (int, float)) or rate <= 0):
        raise BadRequest("'tokens_per_second' must be a positive number.", "invalid_rate")
    return spec, req, extras


def request_hash_of(req: GenRequest) -> str:
    """What a payment for ``req`` is bound to (its processing hash and settlement input hash)."""
    return hash_hex(req.canonical() + json.dumps([req.max_tokens, req.stop]))
