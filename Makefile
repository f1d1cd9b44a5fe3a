# One command each: `make demo`, `make test`, `make lint`, `make bench`.
# Everything installs into ./.venv from the package registries; nothing else is assumed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo serve test test-cluster lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/tracebridge demo

serve: $(STAMP)
	$(BIN)/tracebridge serve

# The second pass runs the storage, query and ingest suites again on the cluster layout (a one-shard
# Distributed cluster inside embedded chDB).
CLUSTER_TESTS := tests/store tests/query tests/ingest tests/dashboards/test_latency_data.py

test: $(STAMP)
	bash .ci/install-browser || echo "Chromium could not be installed: browser tests will skip"
	$(BIN)/python -m pytest
	TRACEBRIDGE_TEST_CLUSTER=1 $(BIN)/python -m pytest $(CLUSTER_TESTS)

test-cluster: $(STAMP)
	TRACEBRIDGE_TEST_CLUSTER=1 $(BIN)/python -m pytest $(CLUSTER_TESTS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python tools/typecheck.py

bench: $(STAMP)
	$(BIN)/python bench/ingest_bench.py
	$(BIN)/python bench/query_bench.py

clean:
	rm -rf $(VENV) tracebridge-data test-artifacts
