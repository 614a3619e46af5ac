# The README's two commands: `make demo` and `make test`. Both bootstrap .venv from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint typecheck check dev clean bench-history bench-scale bench drill wheel bench-report report-quarter

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/onboard demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -q -rs -n 4 --dist loadfile --durations=10

# The fast tier: everything but the end-to-end tests (no dev server, no subprocess stacks).
test-fast: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -q -n 2 -m "not e2e"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

bench-history: $(STAMP)
	$(BIN)/python -m tests.workflow.bench_history

bench-scale: $(STAMP)
	$(BIN)/python -m starter.scale

bench: $(STAMP)
	$(BIN)/python -m starter.benchmark $(BENCH_ARGS)

drill: $(STAMP)
	$(BIN)/python -m starter.drill

wheel: $(STAMP)
	$(BIN)/python -m build --wheel --outdir dist .

bench-report: $(STAMP)
	$(BIN)/python -m tests.portfolio.bench_report

report-quarter: $(STAMP)
	REPORT_QUARTER_SIZE=100 $(BIN)/pytest -q -p no:randomly -o timeout=1200 tests/portfolio/test_quarter.py

dev: $(STAMP)
	$(BIN)/onboard dev

clean:
	rm -rf $(VENV) .onboarding .pytest_cache .mypy_cache .ruff_cache
