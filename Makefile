# Two commands on a fresh machine: `make report` and `make test`.
# Each bootstraps .venv from the pinned versions (requirements.lock) when it is missing or stale.
# `make test` first makes sure chromium, chromedriver and pdflatex are present (scripts/ensure-test-tools.sh).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
JOBS ?= 2
# The browser tests' programs: names on PATH or paths (scripts/ensure-test-tools.sh, tests/browser_check.py).
CHROMIUM ?= chromium
CHROMEDRIVER ?= chromedriver
export CHROMIUM CHROMEDRIVER
# One BLAS thread per process: the work is parallel across processes (notebooks, replicates),
# and multi-threaded BLAS on small matrices was measured far slower on 2 cores.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1
# No huge-page advice from numpy: it stalls large allocations on many kernels (why: cli.py,
# which sets the same for the acne-outcomes command).
export NUMPY_MADVISE_HUGEPAGE ?= 0

.PHONY: help env test-tools report teach test test-slow lint format bench lab data dictionary lock clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name acne-outcomes --display-name "acne-outcomes (.venv)" >/dev/null
	touch $(STAMP)

env: $(STAMP)  ## create or refresh .venv from the pinned versions

report: $(STAMP)  ## build the report on the built-in synthetic study into reports/
	$(BIN)/acne-outcomes report --jobs $(JOBS)

teach: $(STAMP)  ## build the evidence-appraisal lab: student and instructor editions, from one execution
	$(BIN)/acne-outcomes teach --both --jobs $(JOBS)

data: $(STAMP)  ## write the default synthetic study to data/synthetic/rct
	$(BIN)/acne-outcomes simulate --scenario rct --seed 0 --out data/synthetic/rct --overwrite

dictionary: $(STAMP)  ## write the data dictionary into reports/
	$(BIN)/acne-outcomes dictionary --out reports

test-tools:  ## make sure chromium, chromedriver and pdflatex are present (as root, install them from Debian)
	@sh scripts/ensure-test-tools.sh

# `test-tools` comes first: without them, stop before spending a minute on .venv.
test: test-tools $(STAMP)  ## run the whole test suite (lint, doctests, unit, property and integration tests)
	$(BIN)/python -m pytest -n $(JOBS)

test-slow: test-tools $(STAMP)  ## also run the slow truth-recovery checks (>= 500 simulated studies each)
	$(BIN)/python -m pytest -n $(JOBS) --runslow

lint: $(STAMP)  ## ruff lint and format check
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

format: $(STAMP)  ## apply ruff's formatting and safe fixes
	$(BIN)/ruff check --fix src tests benchmarks
	$(BIN)/ruff format src tests benchmarks

bench: $(STAMP)  ## print the performance figures named in the issues
	$(BIN)/python -m benchmarks

lab: $(STAMP)  ## start JupyterLab with the project's kernel
	$(BIN)/jupyter lab notebooks

lock:  ## re-resolve requirements.lock from pyproject.toml (needs network)
	scratch=$$(mktemp -d) && trap 'rm -rf "$$scratch"' EXIT && \
	$(PYTHON) -m venv "$$scratch/venv" && \
	"$$scratch/venv/bin/pip" install --quiet -e '.[dev]' && \
	"$$scratch/venv/bin/pip" freeze --exclude-editable | grep -v '^-e' > "$$scratch/requirements.lock" && \
	mv "$$scratch/requirements.lock" requirements.lock

clean:  ## remove the environment, the built report, the caches and the synthetic study (never data/raw)
	rm -rf $(VENV) build reports.failed .pytest_cache
	find reports data/synthetic -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +
