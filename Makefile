# The two commands of the README: `make run` brings the desk up, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
PYTEST := $(PY) -m pytest -n 2 -q
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/escalation_desk
REDIS_TEST_URL ?= redis://127.0.0.1:6379/15

.PHONY: run test chromium bench

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[postgres,redis]'
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[postgres,redis,dev]'
	touch $@ $(VENV)/.installed

run: export DEBUG := 1
run: $(VENV)/.installed
	$(MANAGE) migrate --noinput
	$(MANAGE) import_escalation_config
	$(MANAGE) seed_demo
	$(MANAGE) seed_templates
	@echo "Escalation Desk on http://127.0.0.1:8000/ with its task cluster. Ctrl-C stops both."
	@trap 'kill $$(jobs -p) 2>/dev/null; wait' EXIT; $(MANAGE) qcluster & $(MANAGE) runserver 127.0.0.1:8000 & wait -n

chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

test: $(VENV)/.installed-dev chromium
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	@echo "== Tests on SQLite with the ORM broker =="
	$(PYTEST)
	@if $(PY) -c "import socket; socket.create_connection(('127.0.0.1', 5432), 2)" 2>/dev/null; then \
	  redis=""; \
	  if $(PY) -c "import socket; socket.create_connection(('127.0.0.1', 6379), 2)" 2>/dev/null; then redis="$(REDIS_TEST_URL)"; fi; \
	  echo "== Tests on PostgreSQL with broker $${redis:-ORM} =="; \
	  DATABASE_URL=$(POSTGRES_URL) REDIS_URL=$$redis $(PYTEST); \
	else \
	  echo "No PostgreSQL at 127.0.0.1:5432: the PostgreSQL run is skipped."; \
	fi

# Every benchmark at a small size on throwaway SQLite databases (PostgreSQL with DATABASE_URL): one table,
# exit 1 when a target is missed. Not part of `make test`: timings need a quiet machine.
bench: export DJANGO_SETTINGS_MODULE := devtools.benchmark_settings
bench: $(VENV)/.installed-dev
	$(MANAGE) bench $(BENCH_ARGS)
