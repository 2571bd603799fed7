# paperfeed: `make run` serves the demo, `make test` runs every test. Both make .venv themselves.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_DB ?= var/demo.sqlite

.PHONY: run test lint bench clean help

help:
	@echo "make run    load, index and serve the bundled demo corpus on http://127.0.0.1:8000"
	@echo "make test   run the whole test suite (SQLite, and PostgreSQL when it is reachable)"
	@echo "make lint   ruff + mypy"
	@echo "make bench  benchmarks in bench/ (need ../shared/data)"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "paperfeed needs Python >= 3.11 (found $$($(PYTHON) --version))"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || \
		{ echo "could not create $(VENV): on Debian/Ubuntu run: apt-get install python3-venv"; exit 1; }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	@touch $(STAMP)

run: $(STAMP)
	@mkdir -p $(dir $(DEMO_DB))
	$(VENV)/bin/paperfeed --db $(DEMO_DB) demo
	$(VENV)/bin/paperfeed --db $(DEMO_DB) index update
	$(VENV)/bin/paperfeed --db $(DEMO_DB) search "efficient attention for long context" --k 5
	$(VENV)/bin/paperfeed --db $(DEMO_DB) serve --host 127.0.0.1 --port 8000

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) bench/import_speed.py

clean:
	rm -rf $(VENV) var build *.egg-info
