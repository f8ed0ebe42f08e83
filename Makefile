# The whole set-up is two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
ARGS   ?=

.PHONY: run test bench snapshots-update screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/og-tui $(ARGS)

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q $(ARGS)

bench: $(VENV)/.installed-test
	$(BIN)/python -m bench $(ARGS)

snapshots-update: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q tests/tui --snapshot-update

screenshots: $(VENV)/.installed-test
	$(BIN)/python -m og_tui.tui.screenshots screenshots

clean:
	rm -rf $(VENV)
