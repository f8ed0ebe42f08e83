"""The devnet's built-in LLM: deterministic, fast, markdown-writing, tool-calling.

Seeded by the request (model, messages or prompt, tools, tool_choice, temperature,
``seed``): the same request at temperature 0 gives the same text, and a smaller
``max_tokens`` gives a prefix of it. Temperature > 0 without a ``seed`` adds fresh
randomness and widens the vocabulary. A token is a word with its leading whitespace.

- When tools are offered (and ``tool_choice`` is not ``"none"``) and the conversation
  did not just receive a tool result, it answers with one tool call whose arguments
  are generated from the tool's JSON schema (types, enums, required, bounds).
- After a tool result it reports what the tool returned.
- It stops by itself after a seeded length (80-400 tokens) unless the request sets
  ``ignore_eos`` (then it writes until ``max_tokens``).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
from dataclasses import dataclass, field
from typing import Any, Optional

from og_tui.devnet.limits import loads as safe_loads

TOKEN_RE = re.compile(r"\s*\S+|\s+$")
WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9_-]{2,}")

_STOP = set(
    "the and for with that this what how why who when where which are was were you your our can could would should "
    "about from into have has had not but all any out please tell explain give show write make does did will just "
    "some more most very then than them they their there here its it's also been being let me my".split()
)

_SUBJECTS = [
    "the devnet",
    "a local chain",
    "the inference hub",
    "an x402 payment",
    "the gateway",
    "a streaming reply",
    "the model",
    "a signed authorization",
    "the payment token",
    "a native contract",
    "the settlement",
    "a block",
]
_VERBS = [
    "records",
    "verifies",
    "streams",
    "settles",
    "checks",
    "returns",
    "keeps",
    "computes",
    "signs",
    "shows",
    "encodes",
    "batches",
    "explains",
    "measures",
]
_OBJECTS = [
    "every request",
    "the input and output hashes",
    "the token balance",
    "a fresh nonce",
    "the receipt",
    "each token as it arrives",
    "the price of the reply",
    "the transaction hash",
    "the spend cap",
    "a deterministic answer",
    "the time window",
    "the conversation",
]
_TAILS = [
    "in a few milliseconds",
    "without leaving this machine",
    "before anything is paid",
    "on the devnet chain",
    "so the result can be audited later",
    "at a steady pace",
    "exactly once",
    "with a clear error when it fails",
    "for every reply",
    "in plain markdown",
]
_OPENERS = [
    "Here is what I can tell you about {t}.",
    "Good question about {t}.",
    "Let me walk through {t}.",
    "A short answer on {t}:",
    "Thinking about {t}, a few things stand out.",
]
_CLOSERS = [
    "That should be enough to get started.",
    "Ask again for more detail on any point.",
    "Everything above was written by the devnet's built-in model.",
    "Hope this helps.",
]
_FUNCS = ["settle", "price", "stream", "verify", "tokens", "digest", "balance"]
_LANGS = [
    ("python", 'def {f}({a}):\n    """{d}"""\n    return {a} * {n}\n'),
    ("javascript", "function {f}({a}) {{\n  // {d}\n  return {a} * {n};\n}}\n"),
    ("bash", "# {d}\nog-tui {f} --amount {n}\n"),
]


def tokenize(text: str) -> list[str]:
    return TOKEN_RE.findall(text or "")


def count_tokens(text: str) -> int:
    return len(tokenize(text))


@dataclass
class GenRequest:
    kind: str  # "chat" | "completion"
    model: str
    messages: list = field(default_factory=list)
    prompt: str = ""
    max_tokens: int = 100
    temperature: float = 0.0
    stop: list = field(default_factory=list)
    tools: list = field(default_factory=list)
    tool_choice: Any = None
    seed: Optional[int] = None
    ignore_eos: bool = False
    response_format: Any = None  # as the request gave it (devnet/llm/structured.py); forwarded upstream

    def canonical(self) -> str:
        return json.dumps(
            {
                "kind": self.kind,
                "model": self.model,
                "messages": self.messages,
                "prompt": self.prompt,
                "tools": self.tools,
                "tool_choice": self.tool_choice,
                "temperature": self.temperature,
            },
            sort_keys=True,
            separators=(",", ":"),
            default=str,
        )


@dataclass
class GenResult:
    text: Optional[str]
    tokens: list
    finish_reason: str
    prompt_tokens: int
    tool_calls: Optional[list] = None

    @property
    def completion_tokens(self) -> int:
        if self.tool_calls:
            return max(1, sum(count_tokens(tc["function"]["arguments"]) for tc in self.tool_calls))
        return len(self.tokens)


def prompt_tokens_of(req: GenRequest) -> int:
    if req.kind == "completion":
        return count_tokens(req.prompt)
    n = 0
    for m in req.messages:
        content = m.get("content") if isinstance(m, dict) else None
        if isinstance(content, str):
            n += count_tokens(content)
        elif isinstance(content, list):
            n += sum(count_tokens(p.get("text", "")) for p in content if isinstance(p, dict))
        n += 3
    if req.tools:
        n += count_tokens(json.dumps(req.tools))
    return n


# --- the model ------------------------------------------------------------------------------


class _Writer:
    def __init__(self, rng: random.Random, temperature: float) -> None:
        self.rng = rng
        self.breadth = 0.45 + 0.55 * max(0.0, min(1.0, temperature))

    def pick(self, pool: list) -> Any:
        n = max(2, int(round(len(pool) * self.breadth)))
        return pool[self.rng.randrange(min(n, len(pool)))]

    def clause(self) -> str:
        """One sentence as it reads inside another (lower-case start), with its full stop."""
        return f"{self.pick(_SUBJECTS)} {self.pick(_VERBS)} {self.pick(_OBJECTS)} {self.pick(_TAILS)}."

    def sentence(self) -> str:
        s = self.clause()
        return s[0].upper() + s[1:]

    def paragraph(self, lo: int = 2, hi: int = 4) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(lo, hi)))

    def bullets(self) -> str:
        items = []
        for _ in range(self.rng.randint(3, 5)):
            item = f"{self.pick(_VERBS).capitalize()} {self.pick(_OBJECTS)}"
            if self.rng.random() < 0.4:
                item = f"**{item}** {self.pick(_TAILS)}"
            items.append(item)
        if self.rng.random() < 0.5:
            return "\n".join(f"- {i}" for i in items)
        return "\n".join(f"{n}. {i}" for n, i in enumerate(items, 1))

    def code(self) -> str:
        lang, tpl = self._choice(_LANGS)
        body = tpl.format(
            f=self.pick(_FUNCS),
            a=self._choice(["units", "tokens", "price"]),
            n=self.rng.randint(2, 99),
            d=self.sentence().rstrip("."),
        )
        return f"```{lang}\n{body}```"

    def _choice(self, pool: list) -> Any:
        return pool[self.rng.randrange(len(pool))]


def _topic(text: str) -> str:
    words = [w for w in WORD_RE.findall(text or "") if w.lower() not in _STOP]
    seen: list[str] = []
    for w in words:
        if w.lower() not in (s.lower() for s in seen):
            seen.append(w)
        if len(seen) == 3:
            break
    return " ".join(seen) if seen else "your message"


def _last_user_text(messages: list) -> str:
    for m in reversed(messages):
        if isinstance(m, dict) and m.get("role") == "user":
            c = m.get("content")
            if isinstance(c, list):
                return " ".join(p.get("text", "") for p in c if isinstance(p, dict))
            return c if isinstance(c, str) else ""
    return ""


def _seed(req: GenRequest) -> int:
    h = hashlib.sha256(req.canonical().encode()).digest()
    if req.seed is not None:
        h = hashlib.sha256(h + str(req.seed).encode()).digest()
    elif req.temperature > 0:
        h = hashlib.sha256(h + os.urandom(16)).digest()
    return int.from_bytes(h[:8], "big")


def _compose_reply(w: _Writer, topic: str, target: Optional[int]) -> str:
    parts = [f"{w._choice(_OPENERS).format(t=f'**{topic}**')} {w.sentence()}", w.paragraph()]
    sections = [w.bullets, w.code, w.paragraph]
    i = 0
    total = sum(count_tokens(p) for p in parts)  # running count: linear in the reply length
    while True:
        if target is None and i >= 3:
            break
        kind = sections[(i + w.rng.randrange(3)) % 3] if i >= 3 else sections[i]
        if kind is w.bullets and w.rng.random() < 0.5:
            parts.append(f"### {w.pick(_VERBS).capitalize()} {topic}")
            total += count_tokens(parts[-1])
        parts.append(kind())
        total += count_tokens(parts[-1])
        i += 1
        if target is not None and total >= target:
            break
    parts.append(w._choice(_CLOSERS))
    return "\n\n".join(parts)


def _compose_tool_report(messages: list, w: _Writer) -> str:
    tool_msg = messages[-1]
    content = tool_msg.get("content")
    if isinstance(content, list):
        content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    content = content if isinstance(content, str) else json.dumps(content)
    name = tool_msg.get("name") or ""
    call_id = tool_msg.get("tool_call_id")
    for m in reversed(messages[:-1]):
        for tc in (m.get("tool_calls") or []) if isinstance(m, dict) else []:
            fn = tc.get("function") or tc
            if call_id and tc.get("id") == call_id:
                name = fn.get("name") or name
    label = f"`{name}`" if name else "the tool"
    try:
        data = safe_loads(content) if isinstance(content, (str, bytes)) else None
    except ValueError:
        data = None
    if isinstance(data, dict) and data:
        lines = "\n".join(f"- **{k}**: {json.dumps(v) if not isinstance(v, str) else v}" for k, v in data.items())
        body = f"The tool {label} returned:\n\n{lines}"
    else:
        body = f"The tool {label} returned: {content.strip()}"
    return f"{body}\n\nBased on that result, {w.clause()} {w._choice(_CLOSERS)}"


# --- JSON schema values -------------------------------------------------------------------


def _schema_value(schema: Any, name: str, w: _Writer, words: list[str], depth: int = 0) -> Any:
    rng = w.rng
    if not isinstance(schema, dict):
        return words[0] if words else "example"
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][rng.randrange(len(schema["enum"]))]
    for key in ("anyOf", "oneOf", "allOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            return _schema_value(schema[key][0], name, w, words, depth)
    t = schema.get("type")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), "null")
    if t is None:
        t = "object" if "properties" in schema else "string"
    if "default" in schema and rng.random() < 0.3:
        return schema["default"]
    if t == "string":
        fmt = schema.get("format")
        if fmt == "date":
            return "2025-01-%02d" % rng.randint(1, 28)
        if fmt == "date-time":
            return "2025-01-%02dT12:00:00Z" % rng.randint(1, 28)
        if fmt == "email":
            return "user@example.com"
        if fmt in ("uri", "url"):
            return "https://example.com/"
        lname = name.lower()
        caps = [x for x in words if x[:1].isupper()]
        if any(k in lname for k in ("city", "location", "place", "country")):
            value = caps[0] if caps else ["Paris", "Lisbon", "Tokyo", "Nairobi"][rng.randrange(4)]
        elif any(k in lname for k in ("symbol", "ticker", "token", "coin")) and any(
            x.isupper() and x.isalpha() and len(x) > 1 for x in words
        ):
            value = next(x for x in words if x.isupper() and x.isalpha() and len(x) > 1)  # "price of ETH" -> ETH
        elif any(k in lname for k in ("unit",)):
            value = ["celsius", "fahrenheit"][rng.randrange(2)]
        elif words:
            value = words[rng.randrange(len(words))]
        else:
            value = "example"
        lo = int(schema.get("minLength", 0) or 0)
        hi = schema.get("maxLength")
        if len(value) < lo:
            value = value + "x" * (lo - len(value))
        if isinstance(hi, int) and len(value) > hi:
            value = value[:hi]
        return value
    if t in ("integer", "number"):
        lo = schema.get("minimum", schema.get("exclusiveMinimum", 0 if t == "integer" else 0.0))
        hi = schema.get("maximum", schema.get("exclusiveMaximum", lo + 100))
        if "exclusiveMinimum" in schema and isinstance(schema["exclusiveMinimum"], (int, float)):
            lo = schema["exclusiveMinimum"] + (1 if t == "integer" else 0.01)
        if "exclusiveMaximum" in schema and isinstance(schema["exclusiveMaximum"], (int, float)):
            hi = schema["exclusiveMaximum"] - (1 if t == "integer" else 0.01)
        if hi < lo:
            hi = lo
        if t == "integer":
            value = rng.randint(int(-(-lo // 1)), int(hi // 1)) if int(-(-lo // 1)) <= int(hi // 1) else int(lo)
            mult = schema.get("multipleOf")
            if isinstance(mult, int) and mult > 0:
                value = (value // mult) * mult if (value // mult) * mult >= lo else -(-value // mult) * mult
            return value
        return round(rng.uniform(lo, hi), 2)
    if t == "boolean":
        return rng.random() < 0.5
    if t == "null":
        return None
    if t == "array":
        lo = int(schema.get("minItems", 1) or 0)
        hi = int(schema.get("maxItems", max(lo, 3)))
        n = rng.randint(lo, max(lo, min(hi, lo + 2)))
        items = schema.get("items", {"type": "string"})
        out = [_schema_value(items, name, w, words, depth + 1) for _ in range(n)]
        if schema.get("uniqueItems"):
            uniq = []
            for v in out:
                if v not in uniq:
                    uniq.append(v)
            out = uniq
        return out
    if t == "object":
        props = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        out = {}
        if depth > 6:
            return out
        for key, sub in props.items():
            if key in required or rng.random() < 0.5:
                out[key] = _schema_value(sub, key, w, words, depth + 1)
        return out
    return None


def _tool_name(tool: dict) -> str:
    return ((tool.get("function") or {}).get("name")) or tool.get("name") or ""


def _pick_tool(req: GenRequest, w: _Writer, user_text: str) -> Optional[dict]:
    choice = req.tool_choice
    tools = [t for t in req.tools if isinstance(t, dict)]
    if not tools or choice == "none":
        return None
    wanted = None
    if isinstance(choice, dict):
        wanted = (choice.get("function") or {}).get("name") or choice.get("name")
    elif isinstance(choice, str) and choice not in ("", "auto", "required", "none"):
        wanted = choice
    if wanted:
        for t in tools:
            if _tool_name(t) == wanted:
                return t
        return None
    words = {x.lower() for x in WORD_RE.findall(user_text)}

    def score(t: dict) -> int:
        fn = t.get("function") or t
        text = f"{fn.get('name', '')} {fn.get('description', '')}".replace("_", " ")
        return len(words & {x.lower() for x in WORD_RE.findall(text)})

    best = max(score(t) for t in tools)
    top = [t for t in tools if score(t) == best]
    return top[w.rng.randrange(len(top))]


def _tool_call(req: GenRequest, w: _Writer, user_text: str) -> Optional[dict]:
    tool = _pick_tool(req, w, user_text)
    if tool is None:
        return None
    fn = tool.get("function") or tool
    params = fn.get("parameters") or {"type": "object", "properties": {}}
    if isinstance(params, str):
        try:
            params = safe_loads(params) if params.strip() else {"type": "object", "properties": {}}
        except ValueError:
            params = {"type": "object", "properties": {}}
    words = [x for x in WORD_RE.findall(user_text) if x.lower() not in _STOP]
    args = _schema_value(params, fn.get("name", ""), w, words)
    if not isinstance(args, dict):
        args = {"value": args}
    call_id = "call_" + hashlib.sha256(f"{w.rng.random()}".encode()).hexdigest()[:24]
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": fn.get("name", ""), "arguments": json.dumps(args, separators=(", ", ": "))},
    }


# --- entry point ----------------------------------------------------------------------------


def _apply_limits(text: str, req: GenRequest, natural_end: bool = True) -> tuple[str, list[str], str]:
    finish = "stop"
    cut = None
    for s in req.stop or []:
        if s:
            i = text.find(s)
            if i >= 0 and (cut is None or i < cut):
                cut = i
    if cut is not None:
        text = text[:cut]
    tokens = tokenize(text)
    if len(tokens) > req.max_tokens:
        tokens = tokens[: req.max_tokens]
        finish = "length"
    elif cut is None and not natural_end:
        finish = "length"
    return "".join(tokens), tokens, finish


def generate(req: GenRequest) -> GenResult:
    """Run the model. Pure function of the request (plus randomness when temperature > 0)."""
    rng = random.Random(_seed(req))
    w = _Writer(rng, req.temperature)
    ptoks = prompt_tokens_of(req)
    if req.kind == "completion":
        target = req.max_tokens if req.ignore_eos else rng.randint(40, 200)
        parts: list[str] = []
        total = 0
        while total < target:
            parts.append(w.sentence())
            total += count_tokens(parts[-1])
        text = " " + " ".join(parts)
        text, tokens, finish = _apply_limits(text, req)
        return GenResult(text, tokens, finish, ptoks)
    messages = req.messages
    last = messages[-1] if messages else {}
    just_got_tool = isinstance(last, dict) and last.get("role") == "tool"
    user_text = _last_user_text(messages)
    if req.tools and not just_got_tool:
        call = _tool_call(req, w, user_text)
        if call is not None:
            return GenResult(None, [], "tool_calls", ptoks, tool_calls=[call])
    if just_got_tool:
        text = _compose_tool_report(messages, w)
    else:
        target = req.max_tokens + 1 if req.ignore_eos else rng.randint(80, 400)
        text = _compose_reply(w, _topic(user_text), target)
    text, tokens, finish = _apply_limits(text, req)
    return GenResult(text, tokens, finish, ptoks)
