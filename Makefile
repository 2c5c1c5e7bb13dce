# Two commands do all the set-up: `make run` serves the dashboard, `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8050
# pytest workers: one per core (the suite is parallel-safe)
WORKERS ?= auto

.PHONY: run serve test test-fast lint kpis check demo clean help monthly-pack wall-soak load-test bench

help:
	@echo "make run    create the virtualenv, the database with demo data on first start, and serve on http://$(HOST):$(PORT)/"
	@echo "make serve  serve with gunicorn: several worker processes, for a company server (README, Serving);"
	@echo "            it starts no alerts: add 'python app.py scheduler' beside it (docs/ALERTS.md)"
	@echo "make test   install the test tools, lint, run every test (browser tests skip without Chromium)"
	@echo "make test-fast  the tests without a browser or a server process (-m 'not browser and not serving')"
	@echo "make lint   ruff and vulture (pyproject.toml): style, imports, unused code and arguments"
	@echo "make monthly-pack  write last month's leadership pack (PDF, PPTX, XLSX) into exports/"
	@echo "make wall-soak  run the wall screen for 400 accelerated refreshes and write its memory to docs/PERFORMANCE.md"
	@echo "make load-test  50 simulated users for 60 s against gunicorn on a demo database (docs/PERFORMANCE.md)"
	@echo "make bench  measure the dashboard at 100k, 1M and 5M leads against DuckDB (SIZES=100k,1M to pick)"
	@echo "make clean  remove the virtualenv and the embedded database"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.installed
	$(BIN)/python app.py run --host $(HOST) --port $(PORT)

# Production serving: gunicorn.conf.py migrates the schema once, then forks the workers.
serve: $(VENV)/.installed
	@echo "alerts, digest and pack: run '$(BIN)/python app.py scheduler' beside this (or cron 'app.py notify'; docs/ALERTS.md)"
	HOST=$(HOST) PORT=$(PORT) $(BIN)/gunicorn --config gunicorn.conf.py wsgi:server

# 50 simulated users for 60 s against a gunicorn it starts on a free port (docs/PERFORMANCE.md).
load-test: $(VENV)/.installed-dev
	$(BIN)/python bench/load_test.py

# ruff for errors, imports and unused arguments, vulture for dead code; never reformats.
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/vulture

test: lint
	$(BIN)/python -m pytest -n $(WORKERS) $(PYTEST_ARGS)

# The quick loop while editing: no Chromium, no gunicorn, no private PostgreSQL.
test-fast: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -n $(WORKERS) -m "not browser and not serving" $(PYTEST_ARGS)

# The previous (complete) month's leadership pack; cron it for the first working day (README, Exports).
monthly-pack: $(VENV)/.installed
	$(BIN)/python app.py export --out exports

# The wall screen's soak run: browser and server memory over hundreds of refreshes (needs Chromium).
wall-soak: $(VENV)/.installed-dev
	$(BIN)/python bench/wall_soak.py --cycles 400

clean:
	rm -rf $(VENV) data/smarketing.db data/smarketing.db-*

# Performance at scale (docs/PERFORMANCE.md): SIZES=100k,1M,5M BACKENDS=sqlite,postgresql RUNS=3
SIZES    ?= 100k,1M,5M
BACKENDS ?= sqlite,postgresql
RUNS     ?= 3
bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench.run --sizes $(SIZES) --backends $(BACKENDS) --runs $(RUNS)
