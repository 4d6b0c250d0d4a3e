# fedlend: two commands from a fresh clone.
#   make demo   set everything up, then run the end-to-end demo on a local chain + store + real data
#   make test   set everything up, then run every test
#   make test-fast  the edit loop: no browser, no IPFS node, no slow tests
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.fedlend-installed
NODE_STAMP := node_modules/.fedlend-installed
IPFS_STAMP := tools/ipfs/node_modules/.fedlend-installed
PYTEST_ARGS ?=

.PHONY: help setup demo test test-fast lint format bench clean browser-deps ipfs

help:
	@echo "make demo   # set up and run the end-to-end demo"
	@echo "make test   # set up and run all tests"
	@echo "make test-fast  # the edit loop: no browser, no IPFS node, no slow tests"
	@echo "make lint   # ruff check + format check + mypy"
	@echo "make bench  # print the benchmark figures (gas, fl quality, speed)"

# Python venv: torch (CPU wheel) first so nothing pulls a CUDA build, then the pinned rest.
$(STAMP): requirements.txt requirements-flower.txt requirements-nodeps.txt constraints.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-flower.txt -c constraints.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-nodeps.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

# npm: the pinned Solidity compiler (solc-js), Anvil and chart.js.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(STAMP) $(NODE_STAMP)

# js-ipfs (npm ipfs 0.66.1, ~3.5 min, 289 MB) for the storage tests' real IPFS node; once per clone.
$(IPFS_STAMP): tools/ipfs/package.json tools/ipfs/package-lock.json
	cd tools/ipfs && npm ci --no-audit --no-fund --loglevel=error
	touch $@

ipfs: $(IPFS_STAMP)

# Chromium for the browser tests comes from Debian (never a downloaded browser build).
# In CI (the CI variable set) a failed install fails the run; elsewhere the browser tests skip.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || { if [ -n "$$CI" ]; then echo "ERROR: could not install chromium, and CI needs the browser tests" >&2; exit 1; fi; \
	       echo "WARNING: could not install chromium; browser tests will be skipped"; }; }

demo: setup
	$(VENV)/bin/fedlend demo

test: setup browser-deps ipfs
	$(PY) scripts/run_tests.py $(PYTEST_ARGS)

FAST_MARKS := not browser and not ipfs and not slow
test-fast: setup
	$(PY) scripts/run_tests.py -m "$(FAST_MARKS)" $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: setup
	$(PY) scripts/bench_gas.py
	$(PY) scripts/bench_fl.py
	$(PY) scripts/bench_desk.py

clean:
	rm -rf $(VENV) node_modules tools/ipfs/node_modules .fedlend build *.egg-info
