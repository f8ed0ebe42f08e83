"""A core chat stream read in a worker thread and handed to an asyncio consumer, chunk by chunk.

The thread opens the stream (the request and its payment are blocking), converts each core
chunk to 1.x's StreamChunk and passes it to the event loop with ``call_soon_threadsafe``. The
final chunk is held back until the stream is done, when core has checked the TEE's signature
over the whole reply; it then carries the proof, the settlement and the TEE (as in 1.1.4, where
it is sent after ``[DONE]``). Stopping the consumer (``break``, ``aclose``, cancellation) closes
the HTTP stream at once, so the thread ends too.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any, AsyncGenerator, Callable, Optional, Tuple

from og_tui.sdk.v1._convert import TeeInfo, chunk_of, finish_chunk
from og_tui.sdk.v1.types import StreamChunk

__all__ = ["StreamPump"]

_CHUNK, _ERROR, _END = "chunk", "error", "end"


class StreamPump:
    """``open_stream(start, cancel)`` -> (core ChatStream, TeeInfo), called in the pump's thread."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        open_stream: Callable[[Callable[[Any, Any], Any], Any], Tuple[Any, TeeInfo]],
        start: Callable[[Any, Any], Any],
    ) -> None:
        self._loop = loop
        self._open = open_stream
        self._start = start
        self._queue: "asyncio.Queue[Tuple[str, Any]]" = asyncio.Queue()
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._stream: Any = None
        self._thread: Optional[threading.Thread] = None

    def _put(self, kind: str, item: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, (kind, item))
        except RuntimeError:  # the loop is closed: nobody is listening any more
            self._cancel.set()

    def _produce(self) -> None:
        try:
            stream, tee = self._open(self._start, self._cancel)
            with self._lock:
                self._stream = stream
            if self._cancel.is_set():
                stream.close()
                return
            pending: Optional[StreamChunk] = None
            for core_chunk in stream:
                chunk = chunk_of(core_chunk)
                if chunk.is_final:
                    if pending is not None:
                        self._put(_CHUNK, pending)
                    pending = chunk
                    continue
                self._put(_CHUNK, chunk)
            if pending is not None and not self._cancel.is_set():
                self._put(_CHUNK, finish_chunk(pending, stream.tee_frame, stream.meta, tee))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            self._put(_ERROR, exc)
        finally:
            self._put(_END, None)

    async def chunks(self) -> AsyncGenerator[StreamChunk, None]:
        self._thread = threading.Thread(target=self._produce, name="og-tui-sdk-v1-stream", daemon=True)
        self._thread.start()
        while True:
            kind, item = await self._queue.get()
            if kind == _CHUNK:
                yield item
            elif kind == _ERROR:
                raise item
            else:
                return

    def stop(self) -> None:
        """Stop reading (from the event loop): the HTTP stream is shut, the thread ends."""
        self._cancel.set()
        with self._lock:
            stream = self._stream
        if stream is not None and not stream.done:
            stream.close()
