"""Hub screen: browse and search the Model Hub, create models and versions, upload and
download files with progress and Stop, copy CIDs, hand a model to the Inference screen.

Browsing needs no account; creating and uploading open the sign-in dialog when needed.
Every hub call runs in a thread worker that posts a message from ``messages.py``; the
handlers below own every widget.
"""

from __future__ import annotations

import asyncio
from functools import partial
from pathlib import Path
from typing import Any, Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Footer, Input, OptionList, ProgressBar, Static
from textual.worker import get_current_worker

from og_tui.core.errors import user_message
from og_tui.tui import messages as m
from og_tui.tui.commands import ScreenCommands
from og_tui.tui.hub_session import HubSessions, hub_sessions
from og_tui.tui.screens.hub_dialogs import HubSignInDialog
from og_tui.tui.screens.hub_table import ModelTable
from og_tui.tui.screens.hub_transfers import (  # noqa: F401 - fmt_rate, _Transfer re-exported
    HubTransferScreen,
    _Transfer,
    fmt_rate,
)
from og_tui.tui.widgets.hub_detail import HubDetail
from og_tui.tui.widgets.sortable import ASCENDING, DESCENDING, sort_bindings, sorted_items

SORTS = ("name", "updated", "author")
DESCENDING_FIRST = {"updated"}  # the newest first; names and authors A to Z
FIRST_PAGE = 200  # rows of the first request: the table shows them at once
PAGE_SIZE = 1000  # rows of each later request
SEARCH_DEBOUNCE = 0.3
DETAIL_DEBOUNCE = 0.12


class HubCommands(ScreenCommands):
    """Palette entries ("hub: verb") for what can be done on the Hub screen right now."""

    def commands(self) -> list[tuple[str, str, str]]:
        screen = self.screen
        if not isinstance(screen, HubScreen):
            return []
        items = [
            ("hub: search models", "focus_search", "Type to filter by name, description or author"),
            ("hub: show mine / all models", "toggle_mine", "Your models or everyone's"),
            ("hub: sort models", "cycle_sort", "By name, last update or author"),
            ("hub: reverse the sort", "reverse_sort", "A to Z or Z to A, newest or oldest first"),
            ("hub: refresh", "refresh", "Reload the list and the selected model"),
            ("hub: new model", "new_model", "Create a model with its first version"),
            ("hub: sign in", "sign_in", screen.sessions.status_line()),
        ]
        if screen.detail is not None:
            items += [
                ("hub: new version", "new_version", f"A new version of {screen.detail.get('name')}"),
                ("hub: upload file", "upload", "Upload an ONNX file to the selected version"),
            ]
        chosen = screen.selected_file()
        if chosen is not None:
            cid = chosen[1].get("ipfsCid", "")
            items += [
                ("hub: copy CID", "copy_cid", cid),
                ("hub: download file", "download", chosen[1].get("name", "")),
                ("hub: run inference with this model", "run_inference", cid),
            ]
        return items


class HubScreen(HubTransferScreen):
    MODE = "hub"
    MAIN_PANE = "#hub-models"
    CSS_PATH = "hub.tcss"
    COMMANDS = {HubCommands}
    AUTO_FOCUS = "#hub-models"

    autoload = True  # snapshot tests turn this off and post fixed messages instead

    BINDINGS = [
        Binding("slash", "focus_search", "Search", id="hub.search", tooltip="Search models as you type"),
        Binding("m", "toggle_mine", "Mine", id="hub.mine", tooltip="Show your models or everyone's"),
        *sort_bindings("cycle_sort", "reverse_sort", prefix="hub", tooltip="Sort by name, last update or author"),
        Binding("n", "new_model", "New", id="hub.new_model", tooltip="Create a model (name + description)"),
        Binding(
            "v",
            "new_version",
            "Version",
            id="hub.new_version",
            show=False,
            tooltip="Create a new version of the selected model",
        ),
        Binding("u", "upload", "Upload", id="hub.upload", tooltip="Upload a file to the selected version"),
        Binding("d", "download", "Download", id="hub.download", tooltip="Download the selected file"),
        Binding("c", "copy_cid", "Copy CID", id="hub.copy_cid", tooltip="Copy the selected file's CID (OSC 52)"),
        Binding("r", "run_inference", "Run", id="hub.run", tooltip="Open Inference with this model's CID"),
        Binding("t", "retry", "Retry", id="hub.retry", tooltip="Retry the transfer that failed"),
        Binding("escape", "stop", "Stop", id="hub.stop", tooltip="Stop the upload or download"),
        Binding("escape", "leave_search", "Back", id="hub.leave_search", show=False),
        Binding("s", "sign_in", "Sign in", id="hub.sign_in", show=False, tooltip="Sign in to the Model Hub"),
        Binding("R", "refresh", "Refresh", id="hub.refresh", show=False, tooltip="Reload the list and the model"),
    ]

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

    class AuthFailed(Message, bubble=False):
        """Signing in (or resuming a stored sign-in) failed; ``text`` says why."""

        def __init__(self, text: str, hint: str | None = None) -> None:
            super().__init__()
            self.text = text
            self.hint = hint

    def __init__(self) -> None:
        super().__init__()
        self.mine = False
        self.sort = "name"
        self.sort_descending = False
        self.search = ""
        self._gen = 0
        self._models: dict[str, dict[str, Any]] = {}
        self._total: int | None = None
        self._loading = False
        self._keep: str | None = None
        self._details: dict[str, dict[str, Any]] = {}
        self._search_timer: Timer | None = None
        self._detail_timer: Timer | None = None
        self._transfer: _Transfer | None = None
        self._retry: Callable[[], None] | None = None
        self._after_auth: Callable[[], None] | None = None
        self._last_upload_path: Path | None = None
        self._last_download_dir: Path | None = None
        self._profile: str | None = None

    @property
    def detail_pane(self) -> HubDetail:
        return self.query_one(HubDetail)

    @property
    def detail(self) -> dict[str, Any] | None:
        """The model shown on the right (None: loading or none)."""
        return self.detail_pane.detail

    @property
    def _focus_cid(self) -> str | None:
        return self.detail_pane.focus_cid

    @_focus_cid.setter
    def _focus_cid(self, cid: str | None) -> None:
        self.detail_pane.focus_cid = cid

    @property
    def sessions(self) -> HubSessions:
        return hub_sessions(self.app.ctx)

    # --- layout -------------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        with Horizontal(id="hub-toolbar"):
            yield Input(placeholder="/ search models", id="hub-search", compact=True)
            yield Static("", id="hub-scope")
            yield Static("", id="hub-who")
        with Horizontal(id="hub-body"):
            with Vertical(id="hub-list-pane"):
                yield ModelTable(id="hub-models")
                yield Static("", id="hub-list-status", classes="pane-hint")
            yield HubDetail(id="hub-detail-pane")
        with Vertical(id="hub-transfer"):
            yield Static("", id="hub-transfer-label")
            with Horizontal(id="hub-transfer-row"):
                yield ProgressBar(id="hub-progress", show_eta=False)
                yield Static("", id="hub-transfer-rate")

    def on_mount(self) -> None:
        self._bindings_key: tuple = ()
        self._layout_for(self.app.size.width)
        self.query_one("#hub-transfer").display = False
        self._profile = self.app.ctx.profile.name
        self._show_scope()
        self._show_who()
        self._show_detail(None)
        self.watch(self.app, "net", self._net_changed, init=False)
        if self.autoload:
            self.reload()

    def on_screen_resume(self) -> None:
        self._show_who()

    def on_resize(self, event) -> None:
        self._layout_for(event.size.width)

    def _layout_for(self, width: int) -> None:
        """A compact footer on narrow terminals (the table adapts its columns itself)."""
        self.query_one(Footer).compact = width < 100

    def _net_changed(self, state: m.NetState) -> None:
        if state.profile != self._profile:
            self._profile = state.profile
            self.mine = False
            self._details.clear()
            self._show_who()
            if self.autoload:
                self.reload()

    # --- small views ------------------------------------------------------------------------
    def _show_scope(self) -> None:
        arrow = DESCENDING if self.sort_descending else ASCENDING
        self.query_one("#hub-scope", Static).update(f"[b]{'mine' if self.mine else 'all'}[/b] · by {self.sort} {arrow}")

    def _show_who(self) -> None:
        sessions = self.sessions
        who = self.query_one("#hub-who", Static)
        if sessions.signed_in:
            who.update(f"hub: {sessions.email}")
        else:
            who.update("hub: not signed in · s")
        who.set_class(sessions.signed_in, "-in")

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

    # --- listing ----------------------------------------------------------------------------
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

    @on(ModelsLoaded)
    def _models_loaded(self, event: ModelsLoaded) -> None:
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

    @on(RequestFailed)
    def _request_failed(self, event: RequestFailed) -> None:
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

    # --- search, scope, sort ---------------------------------------------------------------
    @on(Input.Changed, "#hub-search")
    def _search_changed(self, event: Input.Changed) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DEBOUNCE, partial(self._search_now, event.value))

    def _search_now(self, value: str) -> None:
        value = value.strip()
        if value != self.search:
            self.search = value
            self.reload()

    @on(Input.Submitted, "#hub-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_now(event.value)
        self.query_one("#hub-models", ModelTable).focus()

    def action_focus_search(self) -> None:
        self.query_one("#hub-search", Input).focus()

    def action_leave_search(self) -> None:
        """esc in the search box clears it (the whole list again) and goes back to the list."""
        box = self.query_one("#hub-search", Input)
        if self.focused is box:
            if self._search_timer is not None:
                self._search_timer.stop()
            if box.value:
                box.value = ""
            self._search_now("")
            self.query_one("#hub-models", ModelTable).focus()

    def action_toggle_mine(self) -> None:
        def flip() -> None:
            self.mine = not self.mine
            self._show_scope()
            self.reload()

        if self.mine:
            flip()
        else:
            self._with_auth(flip, "Sign in to list your own models.")

    def action_cycle_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self.sort_descending = self.sort in DESCENDING_FIRST
        self._sorted()

    def action_reverse_sort(self) -> None:
        self.sort_descending = not self.sort_descending
        self._sorted()

    def _sorted(self) -> None:
        self._show_scope()
        table = self.query_one("#hub-models", ModelTable)
        table.sort_column, table.sort_descending = self.sort, self.sort_descending
        table.refresh()
        if table.row_count:
            self._apply_sort()  # the cursor stays on the same model

    def action_refresh(self) -> None:
        self._details.clear()
        self.reload()
        name = self.current_name()
        if name:
            self._load_detail(name)

    # --- detail ---------------------------------------------------------------------------
    def current_name(self) -> str | None:
        return self.query_one("#hub-models", ModelTable).current

    @on(ModelTable.Highlighted, "#hub-models")
    def _row_highlighted(self, event: ModelTable.Highlighted) -> None:
        name = event.name
        if name is None:
            return
        if self._detail_timer is not None:
            self._detail_timer.stop()
        cached = self._details.get(name)
        if cached is not None:
            self._show_detail(cached)
            return
        if not self.autoload:
            return
        if self.detail is None or self.detail.get("name") != name:
            self._show_loading(name)
        self._detail_timer = self.set_timer(DETAIL_DEBOUNCE, partial(self._load_detail, name))

    @on(ModelTable.Selected, "#hub-models")
    def _row_selected(self) -> None:
        files = self.query_one("#hub-files", OptionList)
        if files.option_count:
            files.focus()

    def _show_loading(self, name: str) -> None:
        self.detail_pane.show_loading(name, self._models.get(name, {}))
        self._sync_bindings()

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

    @on(DetailLoaded)
    def _detail_loaded(self, event: DetailLoaded) -> None:
        self._details[event.name] = event.detail
        if event.name == self.current_name() or self.current_name() is None:
            self._show_detail(event.detail)

    def _show_detail(self, detail: dict[str, Any] | None) -> None:
        self.detail_pane.show(detail)
        self._sync_bindings()

    def selected_version(self) -> str | None:
        return self.detail_pane.selected_version()

    def selected_file(self) -> tuple[str, dict[str, Any]] | None:
        """(version, file) of the highlighted file, else the first file of the highlighted version."""
        return self.detail_pane.selected_file()

    # --- bindings: what applies now -------------------------------------------------------------
    def _sync_bindings(self) -> None:
        """Refresh the footer only when what it would show changes (it is rebuilt each time)."""
        key = (
            self.detail is not None,
            self.selected_file() is not None,
            self._transfer is not None,
            self._retry is not None,
        )
        if key != self._bindings_key:
            self._bindings_key = key
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return self._transfer is not None
        if action == "retry":
            return self._transfer is None and self._retry is not None
        if action == "new_version":
            return self.detail is not None
        if action == "upload":
            return self.detail is not None and self._transfer is None
        if action in {"download", "copy_cid", "run_inference"}:
            if self.detail is None:
                return False
            return (self.selected_file() is not None) and (action != "download" or self._transfer is None)
        return True

    @on(OptionList.OptionHighlighted, "#hub-files")
    def _file_highlighted(self) -> None:
        self.detail_pane.show_target()
        self._sync_bindings()

    @on(OptionList.OptionSelected, "#hub-files")
    def _file_selected(self) -> None:
        self.action_copy_cid()

    # --- auth ------------------------------------------------------------------------------------
    def _with_auth(self, then: Callable[[], None], reason: str) -> None:
        sessions = self.sessions
        if sessions.signed_in:
            then()
            return

        async def decide() -> None:  # the saved sign-in is read off the loop (wallet index, keyring)
            from og_tui.tui.screens.hub_dialogs import SignInFacts

            facts = await asyncio.to_thread(SignInFacts.read, sessions)
            if facts.stored and not facts.stored_locked:
                self._after_auth = then
                self._resume()
            else:
                self._open_sign_in(reason, then)

        self.run_worker(decide(), group="hub-auth", exclusive=True, exit_on_error=False, description="hub sign-in")

    def _open_sign_in(self, reason: str | None, then: Callable[[], None] | None = None) -> None:
        from og_tui.tui.screens.hub_dialogs import open_hub_sign_in

        def done(email: str | None) -> None:
            self._show_who()
            if email:
                self.app.notify(f"Signed in as {email}", title="Model Hub")
                if then is not None:
                    then()

        open_hub_sign_in(self, self.sessions, allow_signup=self.app.ctx.is_devnet, reason=reason, done=done)

    def action_sign_in(self) -> None:
        self._open_sign_in(None)

    @work(thread=True, exclusive=True, group="hub-signin", exit_on_error=False, description="hub sign-in")
    def _resume(self) -> None:
        sessions = self.sessions
        try:
            session = sessions.resume()
        except Exception as exc:  # noqa: BLE001
            text, hint = user_message(exc)
            self.post_message(self.AuthFailed(text, hint))
            return
        if session is None:
            self.post_message(self.AuthFailed("No saved Model Hub sign-in."))
            return
        self.post_message(HubSignInDialog.SignedIn(sessions.profile_name, session.email))

    @on(HubSignInDialog.SignedIn)
    def _signed_in(self, event: HubSignInDialog.SignedIn) -> None:
        self._show_who()
        then, self._after_auth = self._after_auth, None
        if then is not None:
            then()

    @on(AuthFailed)
    def _auth_failed(self, event: AuthFailed) -> None:
        then, self._after_auth = self._after_auth, None
        self._open_sign_in(f"The saved sign-in did not work: {event.text}", then)

    # --- create ---------------------------------------------------------------------------------
    def action_new_model(self) -> None:
        self._with_auth(self._open_new_model, "Sign in to create a model.")

    def _open_new_model(self) -> None:
        from og_tui.tui.screens.hub_dialogs import NewModelDialog

        def done(result: dict[str, str] | None) -> None:
            if not result:
                return
            self.app.notify(f"{result['name']} v{result['version']} · u uploads a file to it", title="Model created")
            self.search = ""
            self.query_one("#hub-search", Input).value = ""
            if self._search_timer is not None:
                self._search_timer.stop()
            self.reload(keep=result["name"])

        self.app.push_screen(NewModelDialog(self.sessions), done)

    def action_new_version(self) -> None:
        if self.detail is not None:
            self._with_auth(self._open_new_version, "Sign in to add a version.")

    def _open_new_version(self) -> None:
        from og_tui.tui.screens.hub_dialogs import NewVersionDialog

        detail = self.detail
        if detail is None:
            return
        name = str(detail.get("name"))
        versions = [str(v.get("versionString")) for v in detail.get("versions") or []]

        def done(result: dict[str, str] | None) -> None:
            if not result:
                return
            self.app.notify(f"{result['name']} v{result['version']}", title="Version created")
            self._refresh_model(result["name"])

        self.app.push_screen(NewVersionDialog(self.sessions, name, versions), done)

    def _refresh_model(self, name: str) -> None:
        self._details.pop(name, None)
        self._load_detail(name)
        self.reload(keep=name)

    # --- file actions ---------------------------------------------------------------------------
    def action_copy_cid(self) -> None:
        chosen = self.selected_file()
        if chosen is None:
            return
        cid = str(chosen[1].get("ipfsCid") or "")
        self.app.copy_to_clipboard(cid)
        self.app.notify(cid, title="CID copied")

    async def action_run_inference(self) -> None:
        chosen = self.selected_file()
        if chosen is None:
            return
        version, f = chosen
        cid = str(f.get("ipfsCid") or "")
        if f.get("isOnnx") is False:
            self.app.notify(f"{f.get('name')} is not an ONNX model; it cannot be run.", severity="warning")
            return
        name = str(self.detail.get("name")) if self.detail else None
        await self.app.action_goto("inference")
        screen = self.app.screen
        set_model = getattr(screen, "set_model", None)
        if callable(set_model):
            import inspect

            try:
                params = inspect.signature(set_model).parameters
            except (TypeError, ValueError):
                params = {}
            extra: dict[str, Any] = {}
            if "name" in params:
                extra["name"] = name
            if "signature" in params and f.get("signature"):
                extra["signature"] = f["signature"]
            set_model(cid, **extra)
        else:
            self.app.copy_to_clipboard(cid)
            self.app.notify(
                f"The Inference screen cannot take a model yet; the CID is on your clipboard:\n{cid}",
                title="Run inference",
                severity="warning",
            )
