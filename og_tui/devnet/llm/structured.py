"""``response_format`` for the built-in model: text, any JSON object, or JSON matching a schema.

- ``{"type": "text"}`` (or none): the model writes as usual;
- ``{"type": "json_object"}``: the reply is one JSON object (``answer``, ``topic``, ``points``);
- ``{"type": "json_schema", "json_schema": {"name", "schema", "strict"?}}``: the reply is a JSON
  value generated from the schema (seeded like every reply: the same request gives the same
  value) and checked against it with :mod:`og_tui.core.json_schema` before it is sent.

A malformed ``response_format``, a schema keyword outside the supported subset, or a schema
no value can satisfy is a 400 naming what is wrong. An upstream model is sent the
``response_format`` as the request gave it (only its shape is checked here) and enforces it. A reply that calls a tool stays a tool
call; ``max_tokens`` still cuts a long value (``finish_reason: length``), as any model would.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from typing import Any, Optional

from og_tui.core.json_schema import SchemaError, check_schema, resolve_ref, validate
from og_tui.devnet.llm import builtin
from og_tui.devnet.llm.builtin import GenRequest, GenResult

NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
FORMATS = {
    "date": "2025-01-15",
    "date-time": "2025-01-15T12:00:00Z",
    "time": "12:00:00",
    "email": "user@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uuid": "123e4567-e89b-42d3-a456-426614174000",
    "ipv4": "192.0.2.1",
    "hostname": "example.com",
}


class FormatError(Exception):
    def __init__(self, message: str, code: str = "invalid_response_format") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class ResponseFormat:
    type: str  # text | json_object | json_schema
    name: str = ""
    schema: Any = None
    strict: bool = False


def _shape(value: Any) -> None:
    """FormatError unless ``value`` has the shape of a response_format (any schema inside)."""
    if not isinstance(value, dict) or value.get("type") not in ("text", "json_object", "json_schema"):
        raise FormatError(
            '\'response_format\' must be {"type": "text"}, {"type": "json_object"} or '
            '{"type": "json_schema", "json_schema": {"name": ..., "schema": {...}}}.'
        )
    if value["type"] == "json_schema":
        spec = value.get("json_schema")
        if not isinstance(spec, dict) or not isinstance(spec.get("schema"), dict):
            raise FormatError("'response_format.json_schema' must be an object with 'name' and 'schema'.")


def parse(value: Any) -> Optional[ResponseFormat]:
    """The request's ``response_format`` (None when absent); FormatError when it is malformed."""
    if value is None:
        return None
    if not isinstance(value, dict) or value.get("type") not in ("text", "json_object", "json_schema"):
        raise FormatError(
            '\'response_format\' must be {"type": "text"}, {"type": "json_object"} or '
            '{"type": "json_schema", "json_schema": {"name": ..., "schema": {...}}}.'
        )
    kind = value["type"]
    if kind != "json_schema":
        return ResponseFormat(kind)
    spec = value.get("json_schema")
    if not isinstance(spec, dict):
        raise FormatError("'response_format.json_schema' must be an object with 'name' and 'schema'.")
    name = spec.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise FormatError(
            f"'response_format.json_schema.name' must be 1-64 letters, digits, '_' or '-' (got {name!r})."
        )
    schema = spec.get("schema")
    if not isinstance(schema, dict):
        raise FormatError("'response_format.json_schema.schema' must be a JSON Schema object.")
    strict = spec.get("strict", False)
    if not isinstance(strict, bool):
        raise FormatError("'response_format.json_schema.strict' must be true or false.")
    try:
        check_schema(schema)
    except SchemaError as exc:
        raise FormatError(f"Unsupported JSON schema {name!r}: {exc}.", "unsupported_schema") from None
    return ResponseFormat(kind, name, schema, strict)


# --- values from a schema ----------------------------------------------------------------------


class _Gen:
    def __init__(self, rng: random.Random, root: Any, words: list[str]) -> None:
        self.rng = rng
        self.root = root
        self.words = words or ["devnet", "reply", "value"]

    def word(self, i: int = 0) -> str:
        return self.words[(self.rng.randrange(len(self.words)) + i) % len(self.words)]

    def value(self, schema: Any, name: str = "", depth: int = 0, index: int = 0) -> Any:
        if schema is True or not isinstance(schema, dict):
            return self.word(index)
        if depth > 24:
            raise FormatError("The schema nests too deeply to produce a value.", "unsupported_schema")
        if "$ref" in schema:
            target = dict(resolve_ref(schema["$ref"], self.root))
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            return self.value({**target, **rest}, name, depth + 1, index)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            fits = [
                v
                for v in schema["enum"]
                if not validate(v, {k: x for k, x in schema.items() if k != "enum"}, self.root)
            ]
            pool = fits or schema["enum"]
            return pool[(self.rng.randrange(len(pool)) + index) % len(pool)]
        if "allOf" in schema:
            merged = {k: v for k, v in schema.items() if k != "allOf"}
            for sub in schema["allOf"]:
                sub = resolve_ref(sub["$ref"], self.root) if isinstance(sub, dict) and "$ref" in sub else sub
                if isinstance(sub, dict):
                    props = {**merged.get("properties", {}), **sub.get("properties", {})}
                    required = list(dict.fromkeys((merged.get("required") or []) + (sub.get("required") or [])))
                    merged = {**merged, **sub, "properties": props, "required": required}
            return self.value(merged, name, depth + 1, index)
        for key in ("anyOf", "oneOf"):
            if key in schema:
                rest = {k: v for k, v in schema.items() if k != key}
                for sub in schema[key]:
                    try:
                        candidate = self.value(
                            {**rest, **sub} if isinstance(sub, dict) else rest, name, depth + 1, index
                        )
                    except FormatError:
                        continue
                    if not validate(candidate, schema, self.root):
                        return candidate
                raise FormatError(
                    f"No branch of '{key}' at {name or 'the top'} can be satisfied.", "unsupported_schema"
                )
        t = schema.get("type")
        if isinstance(t, list):
            t = next((x for x in t if x != "null"), "null")
        if t is None:
            t = "object" if "properties" in schema else "array" if "items" in schema else "string"
        return getattr(self, "_" + t)(schema, name, depth, index)

    def _object(self, schema: dict, name: str, depth: int, index: int) -> dict:
        props = schema.get("properties") or {}
        out = {key: self.value(sub, key, depth + 1) for key, sub in props.items()}
        for key in schema.get("required") or []:
            if key not in out:
                out[key] = self.value(schema.get("additionalProperties", True), key, depth + 1)
        return out

    def _array(self, schema: dict, name: str, depth: int, index: int) -> list:
        lo = schema.get("minItems", 0)
        hi = schema.get("maxItems", max(lo, 2))
        n = max(lo, min(hi, 2))
        return [self.value(schema.get("items", True), name, depth + 1, i) for i in range(n)]

    def _string(self, schema: dict, name: str, depth: int, index: int) -> str:
        fmt = schema.get("format")
        if fmt in FORMATS:
            text = FORMATS[fmt]
        else:
            text = self.word(index)
            if index:
                text = f"{text}-{index + 1}"
        lo, hi = schema.get("minLength", 0), schema.get("maxLength")
        if len(text) < lo:
            text = text + "x" * (lo - len(text))
        if hi is not None and len(text) > hi:
            text = text[:hi]
        return text

    def _number(self, schema: dict, name: str, depth: int, index: int, integer: bool = False) -> Any:
        step = 1 if integer else 0.01
        lo = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        if "exclusiveMinimum" in schema:
            lo = max(lo, schema["exclusiveMinimum"] + step)
        hi = schema.get("maximum", lo + 100)
        if "exclusiveMaximum" in schema:
            hi = min(hi, schema["exclusiveMaximum"] - step)
        if integer:
            lo, hi = -(-lo // 1), hi // 1
        hi = max(lo, hi)
        value: Any = self.rng.randint(int(lo), int(hi)) if integer else round(self.rng.uniform(lo, hi), 2)
        mult = schema.get("multipleOf")
        if mult:
            k = -(-lo // mult)
            value = k * mult + index * mult if k * mult + index * mult <= hi else k * mult
            if integer:
                value = int(value)
        if integer:
            return int(value) + (index if not mult and int(value) + index <= hi else 0)
        return value

    def _integer(self, schema: dict, name: str, depth: int, index: int) -> int:
        return self._number(schema, name, depth, index, integer=True)

    def _boolean(self, schema: dict, name: str, depth: int, index: int) -> bool:
        return (self.rng.random() < 0.5) != bool(index % 2)

    def _null(self, schema: dict, name: str, depth: int, index: int) -> None:
        return None


def _words(req: GenRequest) -> list[str]:
    text = builtin._last_user_text(req.messages) if req.kind == "chat" else req.prompt
    return [w for w in builtin.WORD_RE.findall(text or "") if w.lower() not in builtin._STOP][:12]


def value_for(fmt: ResponseFormat, req: GenRequest) -> Any:
    """The JSON value the model answers with under ``fmt`` (json_object or json_schema)."""
    rng = random.Random(builtin._seed(req))
    words = _words(req)
    if fmt.type == "json_object":
        reply = builtin.generate(req)
        sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", (reply.text or "").strip()) if s.strip()]
        return {"answer": " ".join(sentences[:2]), "topic": " ".join(words[:3]) or "devnet", "points": sentences[2:4]}
    gen = _Gen(rng, fmt.schema, words)
    value = gen.value(fmt.schema, fmt.name)
    problems = validate(value, fmt.schema)
    if problems:
        raise FormatError(
            f"The JSON schema {fmt.name!r} cannot be satisfied by this model: " + "; ".join(problems[:3]) + ".",
            "unsupported_schema",
        )
    return value


def generate(req: GenRequest, fmt: Optional[ResponseFormat]) -> GenResult:
    """The built-in model's reply under ``fmt`` (None or text: the usual reply)."""
    if fmt is None or fmt.type == "text" or req.kind != "chat":
        return builtin.generate(req)
    if req.tools and req.tool_choice != "none":
        res = builtin.generate(req)
        if res.tool_calls:
            return res
    text = json.dumps(value_for(fmt, req), ensure_ascii=False)
    text, tokens, finish = builtin._apply_limits(text, req)
    return GenResult(text, tokens, finish, builtin.prompt_tokens_of(req))


def for_request(kind: str, body: dict, req: GenRequest, builtin_model: bool = True) -> Optional[ResponseFormat]:
    """Parse a chat request's ``response_format`` (FormatError when malformed). For the built-in
    model its schema must also be one it can answer, checked before anything is paid; an upstream
    model gets the format as given (``req.response_format``) and enforces it itself."""
    if kind != "chat":
        return None
    if not builtin_model:
        raw = body.get("response_format")
        if raw is not None:
            _shape(raw)
            req.response_format = raw
        return None
    fmt = parse(body.get("response_format"))
    if fmt is not None and fmt.type == "json_schema":
        value_for(fmt, req)
    return fmt
