# The README's commands. Each target installs what it needs into .venv first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: demo test lint typecheck coverage fuzz bench sample clean help

help:
	@echo "make demo   - install, then run the nightly job over the bundled sample bank"
	@echo "make test   - install, then lint, type-check and run the test suite"
	@echo "make coverage - the scanners' kernel line coverage with the JIT off (>= 95%)"
	@echo "make fuzz   - the ingest fuzz campaign, 5,000 fresh damaged date folders (CI runs 500 fixed ones)"
	@echo "make bench  - ingest (5M-row day), large-value and pattern (20M-row window, 60-day backtest) benchmarks"
	@echo "make sample - regenerate data_samples/ (deterministic)"

$(STAMP):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "amlwatch needs Python >= 3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

# the sample bank's name and branch names (.env: every later command reads them too)
demo: $(STAMP)
	scripts/system-packages
	@test -f .env || { cp data_samples/demo.env .env; echo "wrote .env: the sample bank's settings"; }
	$(BIN)/amlwatch backfill --inbox data_samples/inbox --db amlwatch.duckdb

# PostgreSQL, Chromium, poppler and the forms' font come from Debian packages (scripts/
# test-services installs them and starts PostgreSQL); the case store tests run against SQLite
# and that PostgreSQL.
# Tests write only to temporary folders: the checkout's git status must be the same after.
test: $(STAMP) lint typecheck coverage
	@git status --porcelain --untracked-files=all > $(VENV)/.status-before 2>/dev/null || true
	AMLWATCH_TEST_PG_URL="$$(scripts/test-services)" $(BIN)/python -m pytest
	@git status --porcelain --untracked-files=all 2>/dev/null | diff $(VENV)/.status-before - \
		|| { echo "make test changed the checkout (above): tests must write to tmp paths"; exit 1; }

# ruff, and the layer contracts of pyproject.toml's [tool.importlinter] (docs/architecture.md)
lint: $(STAMP)
	$(BIN)/ruff check src pipelines tests bench scripts
	$(BIN)/ruff format --check src pipelines tests bench scripts
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy

# the kernels' own lines, measured with the JIT off (numba would hide them from coverage)
coverage: $(STAMP)
	NUMBA_DISABLE_JIT=1 $(BIN)/python -m pytest -q -p no:cacheprovider -W ignore::RuntimeWarning \
		tests/scanners/test_large_value.py tests/scanners/test_patterns.py tests/scanners/test_runs.py \
		tests/scanners/test_pruning.py tests/scanners/test_arrays.py tests/scanners/test_standards.py \
		tests/scanners/test_network.py tests/scanners/test_network_fans.py \
		tests/scanners/test_network_bursts.py tests/scanners/test_network_layers.py \
		--cov=amlwatch.scanners --cov-report=term-missing --cov-fail-under=95

# fresh cases every run (CI replays the same 500); the result goes to docs/testing.md
fuzz: $(STAMP)
	AMLWATCH_FUZZ_CASES=$${AMLWATCH_FUZZ_CASES:-5000} $(BIN)/python -m pytest -q -p no:cacheprovider \
		--timeout=0 --hypothesis-show-statistics tests/ingest/test_fuzz.py

bench: $(STAMP)
	$(BIN)/python bench/bench_ingest.py --rows 5000000
	$(BIN)/python bench/bench_large_value.py --rows 20000000 --repeat 3
	$(BIN)/python bench/bench_patterns.py --rows 20000000 --backtest-rows 10000000 --repeat 3
	$(BIN)/python bench/quality_patterns.py --customers 100000 --days 40
	$(BIN)/python bench/bench_network.py --repeat 3
	$(BIN)/python bench/quality_network.py --customers 20000 --days 60
	$(BIN)/python bench/bench_nightly.py --modes threads:1 threads:1 threads:1 threads:4 dask:1:1 dask:2:2 dask:2:4
	$(BIN)/python bench/bench_forms.py --rows 100 300 1000

sample: $(STAMP)
	rm -rf data_samples/inbox data_samples/ground_truth.jsonl data_samples/manifest.json
	$(BIN)/amlwatch generate --out data_samples --customers 2000 --days 30 \
		--start 2026-10-01 --format mixed --corrupt-days 2 --seed 20261123

clean:
	rm -rf $(VENV) amlwatch.duckdb amlwatch.duckdb.wal amlwatch-window reports/20* bench/out .pytest_cache
