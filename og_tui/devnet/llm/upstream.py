"""The ``upstream`` backend: any OpenAI-compatible server (Ollama, llama.cpp, vLLM) by URL."""

from __future__ import annotations

import asyncio
import json
from typing import Any, AsyncIterator, Optional

import httpx
from httpx_sse import EventSource, SSEError

from og_tui.devnet.limits import loads as safe_loads
from og_tui.devnet.llm.builtin import GenRequest, GenResult, count_tokens, prompt_tokens_of
from og_tui.devnet.llm.catalog import ModelSpec


class UpstreamError(Exception):
    """The upstream server is down or answered with an error (message is user-facing)."""

    def __init__(self, message: str, status: int = 502) -> None:
        super().__init__(message)
        self.status = status


def _body(spec: ModelSpec, req: GenRequest, stream: bool) -> dict:
    body: dict[str, Any] = {
        "model": spec.remote_model or spec.bare,
        "max_tokens": req.max_tokens,
        "temperature": req.temperature,
    }
    if req.stop:
        body["stop"] = req.stop
    if req.seed is not None:
        body["seed"] = req.seed
    if req.kind == "completion":
        body["prompt"] = req.prompt
    else:
        body["messages"] = req.messages
        if req.tools:
            body["tools"] = req.tools
            body["tool_choice"] = req.tool_choice if req.tool_choice not in (None, "") else "auto"
        if req.response_format:
            body["response_format"] = req.response_format
    if stream:
        body["stream"] = True
    return body


def _path(req: GenRequest) -> str:
    return "/completions" if req.kind == "completion" else "/chat/completions"


def _down(spec: ModelSpec, exc: Exception) -> UpstreamError:
    reason = str(exc) or type(exc).__name__
    return UpstreamError(
        f"The upstream backend for model {spec.id} at {spec.upstream_url} is unreachable ({reason}). "
        "Start that server or change OG_TUI_DEVNET_LLM_UPSTREAM."
    )


def _error_text(resp: httpx.Response) -> str:
    try:
        data = resp.json()
        err = data.get("error") if isinstance(data, dict) else None
        if isinstance(err, dict):
            return str(err.get("message") or err)
        if err:
            return str(err)
        return json.dumps(data)[:500]
    except ValueError:
        return resp.text[:500]


def _result_from(req: GenRequest, data: dict) -> GenResult:
    choice = (data.get("choices") or [{}])[0]
    usage = data.get("usage") or {}
    if req.kind == "completion":
        text = choice.get("text")
        if text is None:
            text = data.get("completion", "")
        tool_calls = None
    else:
        msg = choice.get("message") or {}
        text = msg.get("content")
        tool_calls = msg.get("tool_calls") or None
    text_tokens = [text] if text else []
    res = GenResult(
        text,
        text_tokens,
        choice.get("finish_reason") or "stop",
        int(usage.get("prompt_tokens") or prompt_tokens_of(req)),
        tool_calls=tool_calls,
    )
    res.upstream_completion_tokens = int(usage.get("completion_tokens") or count_tokens(text or ""))  # type: ignore[attr-defined]
    return res


async def complete(spec: ModelSpec, req: GenRequest, timeout: float = 120.0) -> GenResult:
    try:
        async with httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=5.0)) as client:
            resp = await client.post(spec.upstream_url + _path(req), json=_body(spec, req, False))
    except httpx.HTTPError as exc:
        raise _down(spec, exc) from None
    if resp.status_code >= 400:
        raise UpstreamError(
            f"The upstream backend for model {spec.id} answered HTTP {resp.status_code}: {_error_text(resp)}"
        )
    try:
        return _result_from(req, resp.json())
    except ValueError:
        raise UpstreamError(f"The upstream backend for model {spec.id} sent a body that is not JSON.") from None


def complete_sync(spec: ModelSpec, req: GenRequest, timeout: float = 120.0) -> GenResult:
    try:
        resp = httpx.post(
            spec.upstream_url + _path(req), json=_body(spec, req, False), timeout=httpx.Timeout(timeout, connect=5.0)
        )
    except httpx.HTTPError as exc:
        raise _down(spec, exc) from None
    if resp.status_code >= 400:
        raise UpstreamError(
            f"The upstream backend for model {spec.id} answered HTTP {resp.status_code}: {_error_text(resp)}"
        )
    return _result_from(req, resp.json())


class UpstreamStream:
    """An open upstream SSE stream: ``await open()`` (raises UpstreamError), then iterate deltas."""

    def __init__(self, spec: ModelSpec, req: GenRequest, timeout: float = 120.0) -> None:
        self.spec = spec
        self.req = req
        self.client = httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=5.0))
        self.resp: Optional[httpx.Response] = None
        self.usage: Optional[dict] = None
        self.cut = False  # batches() stopped at its deadline
        self._reader: Optional[asyncio.Task] = None

    async def open(self) -> None:
        try:
            request = self.client.build_request(
                "POST", self.spec.upstream_url + _path(self.req), json=_body(self.spec, self.req, True)
            )
            self.resp = await self.client.send(request, stream=True)
        except httpx.HTTPError as exc:
            await self.client.aclose()
            raise _down(self.spec, exc) from None
        if self.resp.status_code >= 400:
            await self.resp.aread()
            text = _error_text(self.resp)
            await self.aclose()
            raise UpstreamError(
                f"The upstream backend for model {self.spec.id} answered HTTP {self.resp.status_code}: {text}"
            )

    async def chunks(self) -> AsyncIterator[dict]:
        """Yields the upstream chunk dicts (OpenAI chunk shape). Raises UpstreamError mid-stream,
        for an ``event: error`` / ``{"error": ...}`` chunk, and when the stream ends without
        its ``data: [DONE]`` (for example cut off in the middle of an event)."""
        assert self.resp is not None
        try:
            async for sse in EventSource(self.resp).aiter_sse():
                if sse.event not in ("message", "error"):
                    continue  # named events an OpenAI chat stream does not define
                data = sse.data.strip()
                if sse.event == "message" and data == "[DONE]":
                    return
                try:
                    obj = safe_loads(data)
                except ValueError:
                    obj = None
                if sse.event == "error" or (isinstance(obj, dict) and obj.get("error")):
                    err = obj.get("error") if isinstance(obj, dict) and obj.get("error") else (obj or data)
                    text = err.get("message") if isinstance(err, dict) else err
                    raise UpstreamError(f"The upstream backend for model {self.spec.id} reported an error: {text}")
                if not isinstance(obj, dict):
                    continue
                if obj.get("usage"):
                    self.usage = obj["usage"]
                yield obj
        except SSEError:
            kind = self.resp.headers.get("content-type", "") or "no content type"
            raise UpstreamError(
                f"The upstream backend for model {self.spec.id} answered {kind} instead of an event stream."
            ) from None
        except httpx.HTTPError as exc:
            raise UpstreamError(
                f"The upstream backend for model {self.spec.id} broke off the stream ({str(exc) or type(exc).__name__})."
            ) from None
        raise UpstreamError(
            f"The upstream backend for model {self.spec.id} ended the stream without its final [DONE] event."
        )

    async def batches(self, window: float, deadline: float) -> AsyncIterator[list[dict]]:
        """The upstream chunks in batches: each batch is what came within ``window`` seconds
        of its first chunk, so the relay writes to its client a few dozen times a second
        rather than once per token. Ends with the upstream stream, or at ``deadline`` (event
        loop time; :attr:`cut` is then True). An :class:`UpstreamError` is raised after the
        batch of what came before it."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()

        async def read() -> None:
            try:
                async for obj in self.chunks():
                    queue.put_nowait(obj)
                queue.put_nowait(None)
            except UpstreamError as exc:
                queue.put_nowait(exc)

        self._reader = asyncio.ensure_future(read())
        while True:
            left = deadline - loop.time()
            if left <= 0:
                self.cut = True
                return
            try:
                first = await asyncio.wait_for(queue.get(), timeout=left)
            except asyncio.TimeoutError:
                self.cut = True
                return
            items = [first]
            if isinstance(first, dict):
                await asyncio.sleep(min(window, max(0.0, deadline - loop.time())))
                while not queue.empty():
                    items.append(queue.get_nowait())
            batch: list[dict] = []
            for item in items:
                if not isinstance(item, dict):
                    if batch:
                        yield batch
                    if item is None:
                        return
                    raise item
                batch.append(item)
            yield batch

    async def aclose(self) -> None:
        if self._reader is not None and not self._reader.done():
            self._reader.cancel()
        if self.resp is not None:
            await self.resp.aclose()
        await self.client.aclose()
