# The entry point: `make demo` and `make test` set everything up on a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
# The Redis rate-window tests start a real redis-server of their own on a free loopback port.
REDIS_SERVER := /usr/bin/redis-server
# Tests and notebooks run against the sandbox only: never a developer's real portal.
OFFLINE := env -u HUBSPOT_ACCESS_TOKEN -u HUBSPOT_API_KEY -u HUBSPOT_BASE_URL -u HUBUTK_VISITORS_CSV
# Test runs write bytecode, although this environment sets PYTHONDONTWRITEBYTECODE: pytest keeps
# its rewritten test modules, and the tests' child processes (the CLI, servers, writers killed
# midway) reuse the package's .pyc files instead of compiling it again. The nbval plugin imports
# nbformat, jsonschema and a URI grammar that jsonschema builds at import (2.2 s): 5 s of CPU for
# each pytest process, so only the notebooks' run loads it. Together: the main run, 3 workers,
# took 545 -> 505 s of CPU and 309 -> 279 s.
TESTENV := $(OFFLINE) -u PYTHONDONTWRITEBYTECODE
PYTEST := $(TESTENV) $(BIN)/python -m pytest -p no:nbval
# The notebooks run side by side, one per worker (each in a kernel of its own, each with its own
# sandbox): 30-35 s where one after another took 56 s. nbval kills each kernel at the end rather
# than shutting it down, so a notebook's sandbox client cannot remove its temporary cache folder
# (an analyst's kernel, shut down or restarted, does): the run gets a temporary folder of its own.
NBVAL = nbtmp=$$(mktemp -d) && trap 'rm -rf "$$nbtmp"' EXIT && TMPDIR=$$nbtmp \
  $(TESTENV) $(BIN)/python -m pytest --nbval-lax --nbval-current-env -p no:python notebooks \
  $(XDIST) --dist loadscope
# uv (a dev dependency) builds the wheel and the throwaway/floor environments from its cache.
UV := UV_PYTHON_DOWNLOADS=never $(BIN)/uv
# The floor: the oldest versions pyproject allows, on the oldest Python it allows.
FLOOR := .venv-floor
FLOOR_STAMP := $(FLOOR)/.installed
FLOOR_PYTHON ?= python3.10
# pytest-xdist: one worker more than the cores (3 here); `make check PYTEST_WORKERS=0` runs them in
# one process. Each worker has its own temporary cache folder and its own sandboxes. The suite
# waits on its sandboxes' sockets, child processes and rate windows for part of its time, which
# the extra worker fills: the main run, 2 and 3 workers alternating (2, 3, 3, 2), took 303 and
# 325 s on 2, 290 and 311 s on 3 (14 s less in each pair; the floor's run: within the noise).
PYTEST_WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))
XDIST := -n $(PYTEST_WORKERS)

.PHONY: setup demo check test lint typecheck unit notebooks browser bench clean docs wheelcheck floor

setup: $(STAMP)

# Re-run the install only when pyproject.toml changes; otherwise this is instant. pip installs
# only uv, which installs the rest: the same versions as pip resolves, from its cache, in 26 s
# on a fresh clone where pip took 94 s. --compile-bytecode, as pip does by default: this
# environment sets PYTHONDONTWRITEBYTECODE, so without .pyc files every test worker, child
# process and kernel compiled pandas, pyarrow, ... again (importing those two: 3.6 s, not 1.1).
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet 'uv>=0.4'
	$(UV) pip install -q -p $(BIN)/python --compile-bytecode -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (hubutk-pandas)" >/dev/null
	touch $(STAMP)

# The browser test drives Debian's Chromium: Playwright's own browser download cannot work here.
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
	  echo "Chromium is missing: run 'sudo apt-get install chromium' (needed by the browser test)"; exit 1; \
	fi

# Debian's redis-server, installed the way Chromium is (the tests start it; no service runs).
$(REDIS_SERVER):
	@if [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	else \
	  echo "redis-server is missing: run 'sudo apt-get install redis-server' (needed by the Redis window tests)"; exit 1; \
	fi

demo: setup
	$(BIN)/hubutk demo

lint: setup
	$(BIN)/ruff check hubutk_pandas tests benchmarks docs conftest.py
	$(BIN)/ruff format --check hubutk_pandas tests benchmarks docs conftest.py
	$(BIN)/mypy
	$(BIN)/lint-imports

# The quick inner loop, about 3 minutes on 2 cores: lint, then the unit tests and doctests
# other than the slow ones (`@pytest.mark.slow`) and the browsers, on every core. No docs
# build, wheel, floor or notebooks: `make test` runs those, and every test.
check: lint $(REDIS_SERVER)
	$(PYTEST) --doctest-modules tests hubutk_pandas $(XDIST) \
	  -m "not slow and not browser" -q -p no:cacheprovider

unit: setup $(REDIS_SERVER)
	$(PYTEST) --doctest-modules tests hubutk_pandas $(XDIST) -m "not browser"

notebooks: setup
	$(NBVAL)

browser: setup $(CHROMIUM)
	$(PYTEST) tests -m browser

# Lint, the docs, the wheel check and the floor's venv first, all at once (a sub-make with -j,
# each one's output printed whole when it ends): 75 s on 2 cores where one after another took
# 105 s. Then the floor's tests, every test, and the notebooks.
test: setup $(CHROMIUM) $(REDIS_SERVER)
	@$(MAKE) --no-print-directory -j4 -O lint docs wheelcheck $(FLOOR_STAMP)
	@$(MAKE) --no-print-directory floor
	$(PYTEST) --doctest-modules tests hubutk_pandas $(XDIST)
	$(NBVAL)

# The site, offline, from scratch: warnings and unresolved references fail it (-W -n); then
# every internal link and anchor, and a page for every public name (docs/check_site.py).
docs: setup
	rm -rf docs/_build docs/api/generated docs/api/modules
	$(OFFLINE) $(BIN)/sphinx-build -j auto -W --keep-going -n -q -b html docs docs/_build/html
	$(BIN)/python docs/check_site.py docs/_build/html

# The built wheel, installed alone in a throwaway venv, runs `hubutk demo` in an empty folder.
wheelcheck: setup
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(UV) build -q --wheel --out-dir "$$tmp/dist" .; \
	$(UV) venv -q -p $(PYTHON) "$$tmp/venv"; \
	$(UV) pip install -q -p "$$tmp/venv/bin/python" "$$tmp"/dist/*.whl; \
	mkdir "$$tmp/empty"; cd "$$tmp/empty"; \
	"$$tmp/venv/bin/python" -c 'import hubutk_pandas, sys; assert hubutk_pandas.__file__.startswith(sys.prefix), hubutk_pandas.__file__'; \
	$(OFFLINE) "$$tmp/venv/bin/hubutk" demo > "$$tmp/demo.log" 2>&1 || { cat "$$tmp/demo.log"; exit 1; }; \
	for f in contacts.csv missing.csv wide.csv history.csv sources.png; do \
	  test -s "demo-output/$$f" || { echo "wheelcheck: demo-output/$$f was not written"; cat "$$tmp/demo.log"; exit 1; }; \
	done; \
	echo "wheelcheck: $$(basename "$$tmp"/dist/*.whl): hubutk demo wrote $$(ls demo-output | wc -l) files in an empty folder"

# Unit tests and doctests (no browser, no notebooks) at the lowest versions pyproject allows:
# uv's lowest-direct resolution of the project's own requirements (pandas, requests-cache,
# pyarrow, ... at their floors; numpy and the rest as those floors need), on Python 3.10.
# Not the `system` tests (killed and interrupted processes, a full disk, rate windows shared
# over seconds): what they prove is our own code's doing, they run in the main run, and here
# they took about a sixth of the floor's worker time.
$(FLOOR_STAMP): pyproject.toml | $(STAMP)
	@py=$$(for c in $(FLOOR_PYTHON) $$(pyenv root 2>/dev/null)/versions/3.10*/bin/python3.10; do \
	  "$$c" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null && echo "$$c" && break; \
	done); \
	if [ -z "$$py" ]; then echo "make floor: no Python 3.10 here (requires-python's floor); set FLOOR_PYTHON"; exit 1; fi; \
	rm -rf $(FLOOR) && $(UV) venv -q -p "$$py" $(FLOOR) && \
	$(UV) pip install -q -p $(FLOOR)/bin/python --compile-bytecode --resolution lowest-direct \
	  -e '.[dask,redis]' && \
	$(UV) pip install -q -p $(FLOOR)/bin/python --compile-bytecode \
	  'pytest>=8' 'pytest-timeout>=2.3' 'pytest-xdist>=3.5'
	touch $(FLOOR_STAMP)

floor: $(FLOOR_STAMP) $(REDIS_SERVER)
	@$(FLOOR)/bin/python -c 'import sys, numpy, pandas, pyarrow, requests, requests_cache, matplotlib; \
	print("floor: Python", sys.version.split()[0], "pandas", pandas.__version__, "numpy", numpy.__version__, \
	"pyarrow", pyarrow.__version__, "requests", requests.__version__, "requests-cache", \
	requests_cache.__version__, "matplotlib", matplotlib.__version__)'
	$(TESTENV) $(FLOOR)/bin/python -m pytest --doctest-modules tests hubutk_pandas $(XDIST) \
	  -m "not browser and not system" \
	  --ignore=tests/integration/browser --ignore=tests/docs/test_check_site.py \
	  -q -p no:cacheprovider

bench: setup $(REDIS_SERVER)
	$(BIN)/python benchmarks/bench_cpu.py
	$(BIN)/python benchmarks/bench_client.py --tiers
	$(BIN)/python benchmarks/bench_pacer.py
	$(BIN)/python benchmarks/bench_frames.py
	$(BIN)/python benchmarks/bench_import.py
	$(BIN)/python benchmarks/bench_lead.py
	$(BIN)/python benchmarks/bench_lead_dataset.py

clean:
	rm -rf $(VENV) $(FLOOR) demo-output .pytest_cache .mypy_cache .ruff_cache docs/_build docs/api/generated docs/api/modules
