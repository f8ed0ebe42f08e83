"""The reading half of the Hub screen: the model list page by page (a small first page
for a fast first paint, then big ones), its count line and sort, and one model's detail.

Each read runs in a thread worker that posts a message nested here (``ModelsLoaded``,
``DetailLoaded``, ``RequestFailed``); the handlers below (naming convention,
``on_hub_reads_*``) fill the table and the detail pane. Mixed into ``HubScreen``
(hub.py), which owns the state these read (``search``, ``mine``, ``sort`` ...).
"""

from __future__ import annotations

from typing import Any

from textual import work
from textual.message import Message
from textual.widgets import Static
from textual.worker import get_current_worker

from og_tui.core.errors import user_message
from og_tui.tui.screens.hub_table import ModelTable
from og_tui.tui.widgets.sortable import sorted_items

FIRST_PAGE = 200  # rows of the first request: the table shows them at once
PAGE_SIZE = 1000  # rows of each later request


class HubReads:
    """The model list and a model's detail, read in workers (mixed into HubScreen)."""

    class ModelsLoaded(Message, bubble=False):
        """One page of the model listing. ``gen`` ties it to the request that asked for it."""

        def __init__(
            self,
            models: list[dict[str, Any]],
            *,
            page: int = 1,
            total: int | None = None,
            done: bool = True,
            gen: int = 0,
        ) -> None:
            super().__init__()
            self.models = models
            self.page = page
            self.total = total
            self.done = done
            self.gen = gen

    class DetailLoaded(Message, bubble=False):
        """Description, author and versions (with their files and signatures) of one model."""

        def __init__(self, name: str, detail: dict[str, Any]) -> None:
            super().__init__()
            self.name = name
            self.detail = detail

    class RequestFailed(Message, bubble=False):
        """A hub read failed (``kind``: "models" or "detail"); ``text`` is for the user."""

        def __init__(
            self, kind: str, text: str, hint: str | None = None, gen: int = 0, name: str | None = None
        ) -> None:
            super().__init__()
            self.kind = kind
            self.text = text
            self.hint = hint
            self.gen = gen
            self.name = name

    # --- the list ----------------------------------------------------------------------------
    def _list_status(self, text: str) -> None:
        self.query_one("#hub-list-status", Static).update(text)

    def _count_text(self) -> str:
        shown = len(self._models)
        total = self._total if self._total is not None else shown
        what = "your models" if self.mine else "models"
        if self._loading:
            return f"loading {shown:,} of {total:,} {what}…"
        if not shown:
            if self.search:
                return f"no {what} match “{self.search}”"
            return "you have no models yet · n creates one" if self.mine else "no models on this hub yet"
        suffix = f" matching “{self.search}”" if self.search else ""
        return f"{shown:,} {what}{suffix}" if shown == total else f"{shown:,} of {total:,} {what}{suffix}"

    def reload(self, keep: str | None = None) -> None:
        """Start loading the list again (page by page); ``keep`` re-selects a model."""
        if self.mine and not self.sessions.signed_in:
            self.mine = False
            self._show_scope()
        self._gen += 1
        self._keep = keep or self.current_name()
        self._loading = True
        self._total = None
        self._list_status("loading…")
        self._load_models(self._gen, self.search, self.mine)

    @work(thread=True, exclusive=True, group="hub-models", exit_on_error=False, description="list models")
    def _load_models(self, gen: int, search: str, mine: bool) -> None:
        """A first small page (fast first paint), then big pages; each posts ModelsLoaded.

        The big pages start again at offset 0 (offsets must be multiples of the page
        size); the handler skips the rows it already has.
        """
        worker = get_current_worker()
        app = self.app
        client = self.sessions.client()
        op = app.begin_op("Loading models")
        try:
            seq, loaded, limit, page = 1, 0, FIRST_PAGE, 1
            while not worker.is_cancelled:
                data = client.list_models(page=page, limit=limit, search=search or None, mine=mine)
                models = list(data.get("models") or [])
                total = data.get("total")
                loaded = (page - 1) * limit + len(models)
                done = len(models) < limit or (total is not None and loaded >= int(total))
                if worker.is_cancelled:
                    return
                self.post_message(self.ModelsLoaded(models, page=seq, total=total, done=done, gen=gen))
                if done:
                    return
                seq += 1
                if limit == FIRST_PAGE:
                    limit, page = PAGE_SIZE, (loaded // PAGE_SIZE) + 1
                else:
                    page += 1
        except Exception as exc:  # noqa: BLE001 - shown in the list status and as a notification
            text, hint = user_message(exc)
            self.post_message(self.RequestFailed("models", text, hint, gen=gen))
        finally:
            app.end_op(op)

    def on_hub_reads_models_loaded(self, event: "HubReads.ModelsLoaded") -> None:
        if event.gen != self._gen:
            return  # an older search or scope
        table = self.query_one("#hub-models", ModelTable)
        if event.page == 1:
            table.clear()
            self._models.clear()
        fresh = [model for model in event.models if str(model.get("name") or "") not in self._models]
        for model in fresh:
            self._models[str(model.get("name") or "")] = model
        table.append(fresh)
        if table.row_count and (self.sort != "name" or self.sort_descending):
            self._apply_sort()
        self._total = event.total
        self._loading = not event.done
        if self._keep and self._keep in self._models:
            table.move_to(table.index_of(self._keep))
            self._keep = None
        self._list_status(self._count_text())
        table.empty_text = "" if table.row_count or self._loading else self._count_text()
        if event.done and not table.row_count:
            self._show_detail(None)

    def _apply_sort(self) -> None:
        """Order the rows by the chosen sort (ties by name), without reloading them."""
        table = self.query_one("#hub-models", ModelTable)
        table.sort_column, table.sort_descending = self.sort, self.sort_descending
        models = self._models
        if self.sort == "name":
            table.sort(key=str.casefold, reverse=self.sort_descending)
            return
        order = sorted(models, key=str.casefold)
        if self.sort == "updated":
            order = sorted_items(
                order,
                lambda n: str(models[n].get("updatedAt") or models[n].get("createdAt") or "") or None,
                self.sort_descending,
            )
        else:
            order = sorted_items(
                order, lambda n: str(models[n].get("authorUsername") or "") or None, self.sort_descending
            )
        rank = {name: index for index, name in enumerate(order)}
        table.sort(key=lambda name: rank.get(name, len(rank)))

    def on_hub_reads_request_failed(self, event: "HubReads.RequestFailed") -> None:
        if event.kind == "models":
            if event.gen != self._gen:
                return
            self._loading = False
            self._list_status(f"[b]could not load:[/b] {event.text} · R to retry")
        elif event.kind == "detail":
            if event.name != self.current_name():
                return
            self.detail_pane.show_failed(event.name, event.text)
        self.app.notify(
            event.text if not event.hint else f"{event.text}\n{event.hint}",
            title="Model Hub",
            severity="error",
            timeout=8,
        )

    # --- a model's detail --------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="hub-detail", exit_on_error=False, description="model detail")
    def _load_detail(self, name: str) -> None:
        try:
            detail = self.sessions.client().model_detail(name)
        except Exception as exc:  # noqa: BLE001
            text, hint = user_message(exc)
            self.post_message(self.RequestFailed("detail", text, hint, name=name))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(self.DetailLoaded(name, detail))

    def on_hub_reads_detail_loaded(self, event: "HubReads.DetailLoaded") -> None:
        self._details[event.name] = event.detail
        if event.name == self.current_name() or self.current_name() is None:
            self._show_detail(event.detail)
