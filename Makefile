# lrcourse: `make lab` to learn, `make test` to check everything. Both set up .venv/ first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# The lock: exact versions of everything installed (tools/check_lock.py, tests/test_setup.py).
# PIP_CONSTRAINT also pins the build backend in pip's isolated build environment.
LOCK   := constraints.txt
PIP    := PIP_CONSTRAINT=$(CURDIR)/$(LOCK) $(PY) -m pip --disable-pip-version-check -q
LATEST := .venv-latest
LAB_ARGS ?=
# Running as root (a container, a CI box) needs --allow-root for jupyter lab.
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
PYTEST_ARGS ?=
# The course multiplies many small matrices: OpenBLAS's thread pool costs more than it gains
# there (measured: one MLP epoch 250-840 ms with threads, 70-170 ms without), so one thread.
OPENBLAS_NUM_THREADS ?= 1
OMP_NUM_THREADS ?= 1
export OPENBLAS_NUM_THREADS OMP_NUM_THREADS

.PHONY: lab test test-fast test-latest test-browser-all bench release my_work browser bubblewrap clean help
help:
	@echo "make lab    - set up .venv (versions from constraints.txt), copy exercises to my_work/, open JupyterLab"
	@echo "make test   - set up .venv with test extras and run every test (unit, notebooks, browser)"
	@echo "make test-latest - the unit tests in .venv-latest/ with the newest releases instead of the lock"
	@echo "make test-browser-all - every lesson's figures in Chromium against matplotlib's render, each opened 3 times"
	@echo "make bench  - run the benchmarks in benchmarks/ (prints ratios, writes benchmarks/results/)"
	@echo "make release - regenerate exercises/ from solutions/"

$(VENV)/.lab-installed: pyproject.toml $(LOCK)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11, 5) else "the locked versions (constraints.txt) need Python >= 3.11.5, found " + sys.version)'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -c $(LOCK) -e .
	@touch $@

$(VENV)/.test-installed: pyproject.toml $(LOCK) $(VENV)/.lab-installed
	$(PIP) install -c $(LOCK) -e '.[test]'
	@touch $@

my_work: $(VENV)/.lab-installed
	@$(PY) -m lrcourse.workspace

lab: $(VENV)/.lab-installed my_work
	$(VENV)/bin/jupyter lab index.ipynb $(ROOT_FLAG) $(LAB_ARGS)

# $(call apt_install,PACKAGE,FILE,what for,what happens without it): Debian's PACKAGE unless FILE exists
# (only as root on Debian; never fails the build). No commas in the arguments.
define apt_install
	@if [ -x $(2) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian's $(1) $(3)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1) >/dev/null) \
	    || echo "could not install $(1): $(4)"; \
	else echo "no $(2): $(4) (install Debian's $(1) to enable it)"; fi
endef

browser:
	$(call apt_install,chromium,/usr/bin/chromium,for the browser test,the browser test will be skipped)

# Debian's bubblewrap: the grader runs each submission's kernel in a bwrap sandbox where it exists.
bubblewrap:
	$(call apt_install,bubblewrap,/usr/bin/bwrap,for the grader's sandbox,grading runs unsandboxed)

# The solutions' hidden tests draw random cases from LRCOURSE_GRADE_SEED (the grader sets one per
# submission); nbval runs them with a fixed one, so `make test` sees the same cases every time.
test: $(VENV)/.test-installed browser bubblewrap
	LRCOURSE_GRADE_SEED=$${LRCOURSE_GRADE_SEED:-20261205} $(PY) -m pytest -p no:cacheprovider tests lessons solutions \
	  --nbval-lax --nbval-current-env --nbval-cell-timeout=120 $(PYTEST_ARGS)

test-fast: $(VENV)/.test-installed
	$(PY) -m pytest -p no:cacheprovider tests -m "not browser" $(PYTEST_ARGS)

# The newest release of every dependency (no lock), in its own venv: try an upgrade here first,
# then regenerate constraints.txt from this venv's `pip freeze` (see constraints.txt).
test-latest:
	@test -x $(LATEST)/bin/python || $(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/python -m pip --disable-pip-version-check -q install --upgrade --upgrade-strategy eager -e '.[test]'
	LRCOURSE_UNLOCKED=1 $(LATEST)/bin/python -m pytest -p no:cacheprovider tests -m "not browser" $(PYTEST_ARGS)

# `make test` opens lessons 1, 4 and 5 twice in Chromium; this opens every lesson three times (about 20 minutes)
test-browser-all: $(VENV)/.test-installed browser
	LRCOURSE_BROWSER_LESSONS=all LRCOURSE_BROWSER_REPEATS=3 $(PY) -m pytest -p no:cacheprovider tests/test_browser.py \
	  -m browser $(PYTEST_ARGS)

bench: $(VENV)/.test-installed browser
	@for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

release: $(VENV)/.lab-installed
	$(PY) -m lrcourse release

clean:
	rm -rf $(VENV) $(LATEST) .pytest_cache benchmarks/results
