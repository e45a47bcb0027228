# Two commands: `make run` (set up + serve the demo district with gunicorn and a job worker) and `make test` (set up + full test suite).
SHELL := /bin/bash
PY := .venv/bin/python
HOST ?= 127.0.0.1:8000

.PHONY: setup db run test lint format bench stop-db messages

setup:
	scripts/bootstrap.sh

db: setup
	@if [ -z "$$DATABASE_URL" ]; then scripts/pg.sh start; fi

# Set up, migrate, collectstatic, compilemessages, load the demo; then gunicorn + one job worker.
run:
	HOST=$(HOST) scripts/run.sh

test:
	scripts/bootstrap.sh --browser
	@if [ -z "$$DATABASE_URL" ]; then scripts/pg.sh start; fi
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports
	$(PY) manage.py compilemessages --ignore=.venv >/dev/null
	$(PY) manage.py makemigrations --check --dry-run >/dev/null
	$(PY) manage.py collectstatic --noinput -v0
	.venv/bin/pytest $(PYTEST_ARGS)

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/lint-imports

format:
	.venv/bin/ruff check --fix . && .venv/bin/ruff format .

bench: db
	$(PY) manage.py migrate --noinput -v0
	$(PY) -m bench.ingest
	$(PY) -m bench.track_store
	$(PY) -m bench.compliance --db
	$(PY) -m bench.hotspots
	$(PY) -m bench.coverage_tiles
	$(PY) -m bench.recorder

stop-db:
	scripts/pg.sh stop

# Re-extract strings, fill English from locale/en.json + locale/en.d/*.json, list what still lacks English.
messages:
	scripts/messages.sh
