# One entry point for people and CI. `make run` and `make test` are the README's two commands.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install run test check lint typecheck unit bench bench-smoke clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## The main job on embedded defaults: SQLite in ./data, the bundled sample feed, dry run without credentials.
run: install
	$(BIN)/bot run

## Lint, type-check and run the whole test suite (what CI runs): `make check`, then every
## other test (end-to-end, corpus quality, browser, `slow`) in one process, since those
## start daemons and fake platforms of their own and time their chaos.
test: check
	$(BIN)/pytest -q -m "not ($(CHECK_TESTS))"

## The one-minute loop while developing: lint, types, and the unit and adapter tests
## (no end-to-end, corpus-quality, browser or `slow` tests) on CHECK_WORKERS processes
## (more than the CPUs: many tests wait on sockets and PostgreSQL). Compiled modules are
## kept between runs even where PYTHONDONTWRITEBYTECODE is set: recompiling every test
## module in every worker costs more than the tests of a small change.
CHECK_TESTS   ?= (unit or adapters) and not slow
CHECK_WORKERS ?= 4
CHECK_PATHS   ?= tests/unit tests/adapters
check: install lint typecheck
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest -q -n $(CHECK_WORKERS) --dist worksteal \
	  -m "$(CHECK_TESTS)" $(CHECK_PATHS)

lint: install
	$(BIN)/ruff check bot tests bench

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/pytest -q

bench: install
	$(BIN)/pip install --quiet -e ".[bench]"
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
