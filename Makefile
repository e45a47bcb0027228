# Two commands: `make run` (set up + serve the demo district) and `make test` (set up + full test suite).
SHELL := /bin/bash
PY := .venv/bin/python
HOST ?= 127.0.0.1:8000

.PHONY: setup db run test lint format bench stop-db

setup:
	scripts/bootstrap.sh

db: setup
	@if [ -z "$$DATABASE_URL" ]; then scripts/pg.sh start; fi

run: db
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py compilemessages --ignore=.venv >/dev/null
	$(PY) manage.py load_demo
	$(PY) manage.py runserver $(HOST)

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
	$(PY) -m bench.compliance
	$(PY) -m bench.hotspots
	$(PY) -m bench.recorder

stop-db:
	scripts/pg.sh stop
