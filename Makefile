# Two commands do all set-up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export PICCOLO_CONF := server.piccolo_conf

.PHONY: run test bench clean deps migrate chromium lint mlc-toolchain tiny-model FORCE

## Python packages from the lock file (re-run only when the lock or pyproject changes).
$(VENV)/.deps: pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@touch $@

## npm packages from package-lock.json (npm ci writes node_modules/.package-lock.json).
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

## The browser runtime we serve: Pyodide, PyScript, WebLLM and pinned wheels.
build/runtime/.stamp: node_modules/.package-lock.json requirements/pyodide-wheels.txt tools/vendor_runtime.py tools/pyodide_snapshot.mjs | $(VENV)/.deps
	$(PY) tools/vendor_runtime.py
	@touch $@

## The snapshot holds the app's browser-free modules too: built again when one changes, or when
## one is added or removed (the list file is rewritten only when the list differs).
APP_MODULES := $(sort $(shell find app -name '*.py' -not -path 'app/browser/*'))
build/runtime/.app-modules: FORCE
	@mkdir -p $(@D)
	@echo '$(APP_MODULES)' | cmp -s - $@ || echo '$(APP_MODULES)' > $@

build/runtime/.snapshot: build/runtime/.stamp build/runtime/.app-modules $(APP_MODULES) tools/pyodide_snapshot.mjs
	$(PY) tools/vendor_runtime.py --snapshot
	@touch $@

## The server's msgspec structs, generated from the page's wire contract (never committed).
server/contract.py: app/contract.py app/wire.py tools/contract_structs.py | $(VENV)/.deps
	$(PY) tools/contract_structs.py

deps: $(VENV)/.deps build/runtime/.stamp build/runtime/.snapshot server/contract.py

migrate: deps
	$(VENV)/bin/piccolo migrations forwards all

run: migrate
	HOST=$(HOST) PORT=$(PORT) $(PY) -m server

## Debian's Chromium for the browser tests (and shellcheck for the build script's lint test),
## when they are missing.
chromium:
	@missing=""; \
	  command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing="chromium"; \
	  command -v shellcheck >/dev/null 2>&1 || missing="$$missing shellcheck"; \
	  if [ -n "$$missing" ]; then \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	  fi

## The MLC compile toolchain, in its own environment (never in the app's lock): Debian's
## emscripten, PyPI's apache-tvm, and the vendored mlc-llm Python with our patches.
MLC_TC := build/mlc-toolchain
MLC_PY := $(MLC_TC)/venv/bin/python
MLC_VENDORED := $(shell find tools/mlc/third_party -type f 2>/dev/null)

$(MLC_TC)/venv/.stamp: tools/mlc/requirements-toolchain.txt
	@command -v emcc >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq emscripten; }
	@test -x $(MLC_PY) || $(PYTHON) -m venv $(MLC_TC)/venv
	$(MLC_PY) -m pip install --quiet --disable-pip-version-check -r tools/mlc/requirements-toolchain.txt
	@touch $@

$(MLC_TC)/tvm/.stamp: $(MLC_TC)/venv/.stamp tools/mlc/toolchain.py $(filter tools/mlc/third_party/tvm-headers/%,$(MLC_VENDORED))
	$(MLC_PY) tools/mlc/toolchain.py tvm $(MLC_TC)/tvm
	@touch $@

$(MLC_TC)/mlc-llm/.stamp: $(MLC_TC)/venv/.stamp tools/mlc/toolchain.py tools/mlc/mlc_compat.py $(filter tools/mlc/third_party/mlc-llm/%,$(MLC_VENDORED))
	$(MLC_PY) tools/mlc/toolchain.py mlc $(MLC_TC)/mlc-llm
	@touch $@

mlc-toolchain: $(MLC_TC)/tvm/.stamp $(MLC_TC)/mlc-llm/.stamp

## The tiny real model the tests run in WebLLM (a mirror folder in Hugging Face layout).
build/tiny-model/.stamp: $(MLC_TC)/tvm/.stamp $(MLC_TC)/mlc-llm/.stamp tools/mlc/tiny_model.py tools/mlc/build-webgpu-wasm.sh tools/mlc/validate.py app/artifact_urls.py
	$(MLC_PY) tools/mlc/tiny_model.py build/tiny-model
	@touch $@

tiny-model: build/tiny-model/.stamp

test: deps chromium tiny-model lint
	$(PY) -m pytest

bench: deps chromium tiny-model
	$(PY) tests/bench/boot.py
	$(PY) tests/bench/ingest.py
	$(PY) tests/bench/stream.py
	$(PY) tests/bench/load.py
	$(PY) tests/bench/outbox.py
	$(PY) tests/bench/longchat.py

lint: deps
	$(VENV)/bin/ruff check app server tools tests
	$(VENV)/bin/ruff format --check app server tools tests
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) node_modules build .pytest_cache
