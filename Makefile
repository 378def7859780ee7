# The two commands: `make demo` and `make test`. Everything else is a helper for them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
# The tests' own data directory, so they never touch the demo's.
TEST_ENV := GAZETTE_ENV=development GAZETTE_DATA_DIR=$(CURDIR)/var/test

.PHONY: setup demo test lint format check-migrations lock clean

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) tools/bootstrap_venv.py $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

setup: $(VENV)/.installed

demo: setup
	PORT=$(PORT) $(BIN)/gazette demo --port $(PORT)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check-migrations: setup
	$(TEST_ENV) $(BIN)/gazette makemigrations --check --dry-run

test: lint check-migrations
	$(BIN)/pytest

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Re-resolve the pinned dependencies (needs uv: `pip install uv`).
lock:
	uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes \
		--output-file requirements.lock

clean:
	rm -rf $(VENV) var/test
