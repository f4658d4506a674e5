# The two commands: `make demo` and `make test` (see README.md). Everything else is a helper.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
CLI    := $(BIN)/inventory-ledger
PYTEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: drills deploy-tools deploy-check install lint format test test-unit demo stack-up stack-down stack-status contracts clean bench-apply bench bench-quick

$(BIN)/.installed: pyproject.toml contracts/pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (Python 3.11 is required)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ./contracts -e ".[dev]"
	@touch $@

install: $(BIN)/.installed ## venv + the project with its dev/test extras

lint: install ## ruff (lint + format check) and mypy --strict
	$(BIN)/ruff check services contracts tests bench
	$(BIN)/ruff format --check services contracts tests bench
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix services contracts tests bench
	$(BIN)/ruff format services contracts tests bench

deploy-tools: ## kustomize + compose-check, built once from their Go modules into .cache/bin
	deploy/k8s/tools/install-kustomize.sh >/dev/null
	deploy/docker/tools/install-compose-check.sh >/dev/null
	@command -v bwrap >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq >/dev/null && apt-get install -y -qq bubblewrap >/dev/null; } || echo "note: no bubblewrap; the read-only-root deploy test will skip"

deploy-check: install deploy-tools ## render + validate manifests, lint Dockerfile, load compose (offline)
	$(BIN)/pytest -q tests/unit/deploy

## The test command (CI runs exactly this through .ci/run): real Kafka + Postgres, lint, pytest.
test: install deploy-tools
	@status=0; \
	INVENTORY_STACK_POSTGRES_FSYNC=false $(CLI) stack up || exit 1; \
	$(MAKE) --no-print-directory lint || status=1; \
	$(BIN)/pytest $(PYTEST_ARGS) || status=1; \
	$(CLI) stack down >/dev/null || status=1; \
	exit $$status

test-unit: install deploy-tools ## the pure tests only, no servers
	$(BIN)/pytest -m unit $(PYTEST_ARGS)

## The main job on the embedded local stack.
demo: install
	$(CLI) stack up
	$(CLI) demo
	$(CLI) stack status
	@echo "The local stack is still up (query it: $(CLI) balances). Stop it with: make stack-down"

stack-up: install
	$(CLI) stack up
stack-down: install
	$(CLI) stack down
stack-status: install
	$(CLI) stack status

bench: install ## the service end to end vs raw consume/COPY and a naive consumer, latency, RSS (bench/results/)
	$(BIN)/python -m bench.service_bench $(BENCH_ARGS)
bench-quick: install ## the same with 50k events and 20 s of latency
	$(BIN)/python -m bench.service_bench --quick $(BENCH_ARGS)

bench-apply: install ## events/s of the unit of work at batch sizes 1, 100, 1000 (real Postgres)
	$(BIN)/python -m bench.apply_throughput $(BENCH_ARGS)

drills: install ## every fault drill (the slow ones too: -m ''), with their table (kill -9, outages, poison, ...)
	@eval "$$($(CLI) stack up | grep -E '^(KAFKA_BOOTSTRAP_SERVERS|DATABASE_URL)=' | sed 's/^/export /')" && \
	$(BIN)/pytest -s -m '' tests/e2e/test_drills.py tests/e2e/test_drills_outages.py

contracts: install ## regenerate contracts/schemas, and the AsyncAPI document from the FastStream app
	$(BIN)/python -m inventory_contracts.generate
	$(BIN)/python -m inventory_ledger.adapters.kafka.asyncapi

clean: ## stop the stack and delete its data (downloaded jars stay in .cache/)
	-$(CLI) stack down --purge
