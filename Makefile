# certdesk: the two commands are `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
WORKERS ?= 2

.PHONY: run test test-postgres install install-test serve setup demo clean lint

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

setup: install
	$(BIN)/certdesk migrate --noinput
	$(BIN)/certdesk init
	$(BIN)/certdesk bootstrap

# Install, migrate, create the CA and the bootstrap customer/admin, then serve the portal,
# the REST API and the CA downloads on http://$(HOST):$(PORT) with gunicorn, and run the
# background worker (email outbox, periodic jobs) beside it: `certdesk serve` stops both.
run: setup
	@echo ""
	@echo "certdesk is starting on http://$(HOST):$(PORT)/ with its background worker  (Ctrl-C to stop both)"
	@echo ""
	$(BIN)/certdesk serve --bind $(HOST):$(PORT) --web-workers $(WORKERS)

demo: setup
	$(BIN)/certdesk demo

# The whole suite on SQLite (the embedded default). .ci/run adds the PostgreSQL pass.
test: install-test
	CERTDESK_DATA_DIR=$(CURDIR)/var/test $(BIN)/pytest

# The whole suite against PostgreSQL; CERTDESK_DATABASE_URL must point at a server
# (pytest-django creates and drops its own test_<name> database).
test-postgres: install-test
	@test -n "$$CERTDESK_DATABASE_URL" || (echo "set CERTDESK_DATABASE_URL=postgres://..." && exit 2)
	CERTDESK_DATA_DIR=$(CURDIR)/var/test-pg $(BIN)/pytest

clean:
	rm -rf $(VENV) var build *.egg-info src/*.egg-info
