# The whole set-up is two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
ARGS   ?=
# The resolved set (runtime and every extra, all platforms), pinned: `make lock` refreshes it.
LOCK   := requirements.lock
# extra uv options for `make lock`, e.g. LOCK_ARGS=--upgrade (newest versions of everything)
# or LOCK_ARGS="--upgrade-package textual"
LOCK_ARGS ?=
# The reference OpenGradient SDK, in its own environment (its pins must not enter .venv):
# tests/compat/ runs it against a devnet next to og_tui.sdk. Built once, then cached.
REF_VENV := .venv-ref
REF_SDK  := opengradient==0.5.13
# and the newest reference SDK (split clients ModelHub / Alpha / LLM), in a third environment
REF1_VENV := .venv-ref1
REF1_SDK  := opengradient==1.1.4

.PHONY: run test bench snapshots-update screenshots clean lock

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install whenever pyproject.toml or the lock changes, at the lock's versions: `run`
# takes the runtime dependencies (pinned by the lock as constraints), `test` installs the
# whole lock, then og-tui itself without resolving anything. The package is byte-compiled
# as pip does for a wheel: an editable install under PYTHONDONTWRITEBYTECODE would
# otherwise compile og-tui's modules on every start (about 60 ms of the first screen).
$(VENV)/.installed: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e .
	$(BIN)/python -m compileall -q og_tui
	touch $@

$(VENV)/.installed-test: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m compileall -q og_tui
	touch $@ $(VENV)/.installed

# Resolve pyproject.toml (runtime + all extras) into $(LOCK) with uv, for Python 3.11+
# on every platform. Pins already in the lock are kept where they still satisfy
# pyproject.toml, so a new dependency changes only what it needs. Runs from any state:
# it needs only the venv's pip to fetch uv.
lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet 'uv>=0.5'
	$(BIN)/python -m uv pip compile pyproject.toml --all-extras --universal --python-version 3.11 \
		--quiet --output-file $(LOCK) $(LOCK_ARGS)
	@echo "$(LOCK): $$(grep -c '==' $(LOCK)) pins"
$(REF_VENV)/.installed:
	$(PYTHON) -m venv $(REF_VENV)
	$(REF_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(REF_VENV)/bin/python -m pip install --quiet $(REF_SDK)
	touch $@
$(REF1_VENV)/.installed:
	$(PYTHON) -m venv $(REF1_VENV)
	$(REF1_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(REF1_VENV)/bin/python -m pip install --quiet $(REF1_SDK)
	touch $@

run: $(VENV)/.installed
	$(BIN)/og-tui $(ARGS)

test: $(VENV)/.installed-test $(REF_VENV)/.installed $(REF1_VENV)/.installed
	OG_TUI_REFERENCE_SDK_PYTHON=$${OG_TUI_REFERENCE_SDK_PYTHON:-$(CURDIR)/$(REF_VENV)/bin/python} \
	OG_TUI_REFERENCE_SDK1_PYTHON=$${OG_TUI_REFERENCE_SDK1_PYTHON:-$(CURDIR)/$(REF1_VENV)/bin/python} \
		$(BIN)/python -m pytest -q $(ARGS)

bench: $(VENV)/.installed-test
	$(BIN)/python -m bench $(ARGS)

snapshots-update: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q tests/tui --snapshot-update

screenshots: $(VENV)/.installed-test
	$(BIN)/python -m og_tui.tui.screenshots screenshots

clean:
	rm -rf $(VENV) $(REF_VENV) $(REF1_VENV)
