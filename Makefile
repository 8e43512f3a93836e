# certdesk: the two commands are `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
WORKERS ?= 2

.PHONY: run test test-postgres install install-test browser serve setup demo demo-large clean lint

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
install-test: $(VENV)/.installed-test browser

# The browser tests (tests/e2e) drive Debian's Chromium through Playwright (never a downloaded
# browser build; the emoji font draws the bell in screenshots). Installed with apt-get when missing and possible (root, or password-less
# sudo); otherwise those tests skip and say why.
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null) \
	  || echo "note: apt-get could not install chromium: the browser tests (tests/e2e) will be skipped"; \
	elif command -v apt-get >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
	  (sudo -n apt-get update -qq && sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null) \
	  || echo "note: apt-get could not install chromium: the browser tests (tests/e2e) will be skipped"; \
	else \
	  echo "note: /usr/bin/chromium is missing and cannot be installed here (needs root and apt-get):"; \
	  echo "      the browser tests (tests/e2e) will be skipped. Install Debian's chromium package to run them."; \
	fi

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

# A large network to try the portal on: ~40 institutions, 3,000 domains, 20,000 real certificates (~2 min).
demo-large: setup
	$(BIN)/certdesk demo --large

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
