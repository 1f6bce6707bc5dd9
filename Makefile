# The entry point: `make demo` and `make test` set everything up on a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
# Tests and notebooks run against the sandbox only: never a developer's real portal.
OFFLINE := env -u HUBSPOT_ACCESS_TOKEN -u HUBSPOT_API_KEY -u HUBSPOT_BASE_URL -u HUBUTK_VISITORS_CSV
NBVAL := $(OFFLINE) $(BIN)/python -m pytest --nbval-lax --nbval-current-env -p no:python notebooks

.PHONY: setup demo test lint typecheck unit notebooks browser bench clean docs

setup: $(STAMP)

# Re-run the install only when pyproject.toml changes; otherwise this is instant.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (hubutk-pandas)" >/dev/null
	touch $(STAMP)

# The browser test drives Debian's Chromium: Playwright's own browser download cannot work here.
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
	  echo "Chromium is missing: run 'sudo apt-get install chromium' (needed by the browser test)"; exit 1; \
	fi

demo: setup
	$(BIN)/hubutk demo

lint: setup
	$(BIN)/ruff check hubutk_pandas tests benchmarks docs conftest.py
	$(BIN)/ruff format --check hubutk_pandas tests benchmarks docs conftest.py
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: setup
	$(OFFLINE) $(BIN)/python -m pytest --doctest-modules tests hubutk_pandas -m "not browser"

notebooks: setup
	$(NBVAL)

browser: setup $(CHROMIUM)
	$(OFFLINE) $(BIN)/python -m pytest tests -m browser

test: setup $(CHROMIUM) lint docs
	$(OFFLINE) $(BIN)/python -m pytest --doctest-modules tests hubutk_pandas
	$(NBVAL)

# The site, offline, from scratch: warnings and unresolved references fail it (-W -n); then
# every internal link and anchor, and a page for every public name (docs/check_site.py).
docs: setup
	rm -rf docs/_build docs/api/generated docs/api/modules
	$(OFFLINE) $(BIN)/sphinx-build -j auto -W --keep-going -n -q -b html docs docs/_build/html
	$(BIN)/python docs/check_site.py docs/_build/html

bench: setup
	$(BIN)/python benchmarks/bench_client.py
	$(BIN)/python benchmarks/bench_frames.py
	$(BIN)/python benchmarks/bench_import.py
	$(BIN)/python benchmarks/bench_lead.py

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache docs/_build docs/api/generated docs/api/modules
