# Two commands matter: `make run` and `make test`. Both install first.
# uv is bootstrapped into .uv/ from PyPI at a pinned version, then builds .venv/
# from uv.lock exactly (--locked fails if pyproject.toml and the lock disagree).
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .uv/bin/uv
VENV := .venv
STAMP := $(VENV)/.installed
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: install run test test-fast check lint bench loadtest chaos clean

install: $(STAMP)

$(UV):
	$(PYTHON) -m venv .uv
	.uv/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(STAMP): $(UV) pyproject.toml uv.lock
	$(UV) sync --locked --python "$$($(PYTHON) -c 'import sys; print(sys.executable)')" --all-extras
	@touch $(STAMP)

run: install
	$(VENV)/bin/shunfuri up

test: install
	@$(VENV)/bin/python -m tests.preflight
	$(VENV)/bin/lint-imports
	$(VENV)/bin/python -m pytest tests --ignore=tests/chaos

test-fast: install
	$(VENV)/bin/python -m pytest tests/unit -q

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

bench: install
	$(VENV)/bin/python -m loadtests.bench_quote

loadtest: install
	$(VENV)/bin/shunfuri loadtest instant

chaos: install
	$(VENV)/bin/python -m pytest tests/chaos -p no:cacheprovider -s --profile=$(or $(PROFILE),full)

clean:
	rm -rf .uv $(VENV) .pytest_cache
