# Kho — two commands on a fresh machine:  make demo  ·  make test
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test setup lint browser clean help
help:
	@echo "make demo   set up .venv, then run the whole pipeline once on an embedded PostgreSQL"
	@echo "make test   set up .venv, then run the test suite against a real PostgreSQL"

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Kho needs Python 3.11; set PYTHON=/path/to/python3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[airflow,dev]"
	@touch $@

setup: $(STAMP)

demo: setup
	$(BIN)/kho demo

# The portal test opens the page in Debian's Chromium; where apt cannot install it the test reports itself skipped.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
		{ command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && \
		  (apt-get install -y -q chromium >/dev/null 2>&1 || (apt-get update -q >/dev/null 2>&1 && \
		   apt-get install -y -q chromium >/dev/null 2>&1)); } || \
		echo "no Chromium (not root or no apt): the portal browser test will be skipped"

# Two workers: the suite waits on PostgreSQL, dbt and Airflow subprocesses about half the time on one.
TEST_WORKERS ?= 2
test: setup browser
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

lint: setup
	$(BIN)/ruff check .

clean:
	rm -rf .kho open_data dbt_project/target dbt_project/logs expectations/uncommitted
