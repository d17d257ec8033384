# Everyday commands. `make up` and `make test` are the two a newcomer needs.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# CI adds lstm (PyTorch CPU, the optional LSTM model kind): make install EXTRAS=dev,lstm
EXTRAS ?= dev

.PHONY: up up-compact test lint format bench compose install clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[$(EXTRAS)]'
	touch $(STAMP)

install: $(STAMP)

## make up: install, migrate, load the demo, start web + nine worker pools + Beat + Flower
up: $(STAMP)
	$(PY) -m workers.launcher $(ARGS)

## make up-compact: one worker over all nine queues (small machines)
up-compact: $(STAMP)
	$(PY) -m workers.launcher --compact $(ARGS)

## make test: the whole suite (real PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set)
test: $(STAMP)
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP)
	$(PY) manage.py bench platform

## make compose: regenerate docker/docker-compose.yml from workers/registry.py
compose: $(STAMP)
	$(PY) manage.py compose

clean:
	rm -rf $(VENV) var/*.sqlite3*
