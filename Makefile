# Two commands matter: `make run` and `make test`. Both install first.
# uv is bootstrapped into .uv/ from PyPI at a pinned version, then builds .venv/
# from uv.lock exactly (--locked fails if pyproject.toml and the lock disagree).
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .uv/bin/uv
VENV := .venv
STAMP := $(VENV)/.installed
BROWSER_STAMP := $(VENV)/.browser
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: install run test test-fast check lint bench loadtest chaos clean screenshots

install: $(STAMP) $(BROWSER_STAMP)

$(UV):
	$(PYTHON) -m venv .uv
	.uv/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(STAMP): $(UV) pyproject.toml uv.lock
	$(UV) sync --locked --python "$$($(PYTHON) -c 'import sys; print(sys.executable)')" --all-extras
	@touch $(STAMP)

# The browser tests drive Chromium: Debian's package (and a Japanese font for the
# screenshots) where apt can install it, as on this project's machines and CI; else
# Playwright's own build.
$(BROWSER_STAMP): $(STAMP)
	@if [ -x /usr/bin/chromium ] && fc-list :lang=ja 2>/dev/null | grep -q .; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q chromium fonts-ipafont-gothic \
	  || { apt-get update -q && apt-get install -y -q chromium fonts-ipafont-gothic; }; \
	else $(VENV)/bin/playwright install chromium; fi
	@touch $(BROWSER_STAMP)

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

screenshots: install
	@$(VENV)/bin/python -m tests.preflight
	$(VENV)/bin/python -m tests.browser.screenshots docs/screenshots

clean:
	rm -rf .uv $(VENV) .pytest_cache
