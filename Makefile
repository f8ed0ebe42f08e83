# The whole set-up is two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
ARGS   ?=
# The reference OpenGradient SDK, in its own environment (its pins must not enter .venv):
# tests/compat/ runs it against a devnet next to og_tui.sdk. Built once, then cached.
REF_VENV := .venv-ref
REF_SDK  := opengradient==0.5.13

.PHONY: run test bench snapshots-update screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install whenever pyproject.toml changes. The package is byte-compiled as pip does
# for a wheel: an editable install under PYTHONDONTWRITEBYTECODE would otherwise compile
# og-tui's modules on every start (about 60 ms of the time to the first screen).
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m compileall -q og_tui
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m compileall -q og_tui
	touch $@ $(VENV)/.installed

$(REF_VENV)/.installed:
	$(PYTHON) -m venv $(REF_VENV)
	$(REF_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(REF_VENV)/bin/python -m pip install --quiet $(REF_SDK)
	touch $@

run: $(VENV)/.installed
	$(BIN)/og-tui $(ARGS)

test: $(VENV)/.installed-test $(REF_VENV)/.installed
	OG_TUI_REFERENCE_SDK_PYTHON=$${OG_TUI_REFERENCE_SDK_PYTHON:-$(CURDIR)/$(REF_VENV)/bin/python} \
		$(BIN)/python -m pytest -q $(ARGS)

bench: $(VENV)/.installed-test
	$(BIN)/python -m bench $(ARGS)

snapshots-update: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q tests/tui --snapshot-update

screenshots: $(VENV)/.installed-test
	$(BIN)/python -m og_tui.tui.screenshots screenshots

clean:
	rm -rf $(VENV) $(REF_VENV)
