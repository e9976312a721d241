# lrcourse: `make lab` to learn, `make test` to check everything. Both set up .venv/ first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q
LAB_ARGS ?=
# Running as root (a container, a CI box) needs --allow-root for jupyter lab.
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
PYTEST_ARGS ?=
# The course multiplies many small matrices: OpenBLAS's thread pool costs more than it gains
# there (measured: one MLP epoch 250-840 ms with threads, 70-170 ms without), so one thread.
OPENBLAS_NUM_THREADS ?= 1
OMP_NUM_THREADS ?= 1
export OPENBLAS_NUM_THREADS OMP_NUM_THREADS

.PHONY: lab test test-fast bench release my_work browser clean help
help:
	@echo "make lab    - set up .venv, copy exercises to my_work/, open the course in JupyterLab"
	@echo "make test   - set up .venv with test extras and run every test (unit, notebooks, browser)"
	@echo "make bench  - run the benchmarks in benchmarks/ (prints ratios, writes benchmarks/results/)"
	@echo "make release - regenerate exercises/ from solutions/"

$(VENV)/.lab-installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "lrcourse needs Python >= 3.10, found " + sys.version)'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -e .
	@touch $@

$(VENV)/.test-installed: pyproject.toml $(VENV)/.lab-installed
	$(PIP) install -e '.[test]'
	@touch $@

my_work: $(VENV)/.lab-installed
	@$(PY) -m lrcourse.workspace

lab: $(VENV)/.lab-installed my_work
	$(VENV)/bin/jupyter lab index.ipynb $(ROOT_FLAG) $(LAB_ARGS)

browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian's chromium for the browser test"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	    || echo "could not install chromium: the browser test will be skipped"; \
	else echo "no /usr/bin/chromium: the browser test will be skipped (install Debian's chromium to enable it)"; fi

test: $(VENV)/.test-installed browser
	$(PY) -m pytest -p no:cacheprovider tests lessons solutions \
	  --nbval-lax --nbval-current-env --nbval-cell-timeout=120 $(PYTEST_ARGS)

test-fast: $(VENV)/.test-installed
	$(PY) -m pytest -p no:cacheprovider tests -m "not browser" $(PYTEST_ARGS)

bench: $(VENV)/.test-installed browser
	@for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

release: $(VENV)/.lab-installed
	$(PY) -m lrcourse release

clean:
	rm -rf $(VENV) .pytest_cache benchmarks/results
