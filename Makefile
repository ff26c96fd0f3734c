PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: demo test test-postgres bench bench-quick wrk lint install messages compilemessages catalogues

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed compilemessages

# Translations: `make messages` refreshes every catalogue in locale/ from the source (templates,
# Python, and JavaScript when it has strings); the compiled .mo files are built here, at install
# (GNU gettext's msgfmt), never committed. `make catalogues` is CI's check: it fails when a
# message of an offered language is untranslated or fuzzy.
LOCALES := tr fa zh_Hant
MAKEMESSAGES_IGNORE := --ignore=.venv --ignore=tests --ignore=staticfiles --ignore=media \
	--ignore=build --ignore=node_modules
messages: $(VENV)/.installed
	$(BIN)/python manage.py makemessages $(addprefix -l ,$(LOCALES)) --no-obsolete \
	  $(MAKEMESSAGES_IGNORE) --add-location=file
	@if grep -rqsE "gettext|ngettext|interpolate" static/js; then \
	  $(BIN)/python manage.py makemessages -d djangojs $(addprefix -l ,$(LOCALES)) \
	    --no-obsolete $(MAKEMESSAGES_IGNORE) --add-location=file; fi

compilemessages: $(VENV)/.installed
	$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=staticfiles -v 0

catalogues: $(VENV)/.installed
	.ci/catalogues

# The demo: every link, QR code and e-mail points at this PORT; e-mails go to the outbox
# (admin → Outbox), not the terminal; logs at warning. Running it again changes no row.
DEMO_ENV = SITE_URL=http://127.0.0.1:$(PORT) EMAIL_BACKEND=customers.outbox.OutboxBackend \
	LOG_LEVEL=$${LOG_LEVEL:-WARNING}

demo: install
	$(DEMO_ENV) $(BIN)/python manage.py migrate --noinput -v 0
	$(DEMO_ENV) $(BIN)/python manage.py seed_demo
	$(DEMO_ENV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

# Benchmarks: PostgreSQL and Redis on localhost, wrk for the load. BENCH_DATABASE names the
# database (test_<name> for those run by pytest-django), BENCH_REDIS_URL the Redis database
# this run claims for itself.
BENCH_DATABASE ?= flywheel_bench
BENCH_PYTEST = $(BIN)/pytest tests/benchmarks -p no:randomly -s --no-header -q -o addopts="" \
	--ds=config.settings --create-db

wrk:
	@command -v wrk >/dev/null || (apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null)

bench: install wrk
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/$(BENCH_DATABASE) \
	BENCH_DATABASE=$(BENCH_DATABASE) $(BENCH_PYTEST)

# The same benchmarks at small sizes: each must run to the end (CI runs this on every change).
bench-quick: install wrk
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/$(BENCH_DATABASE)_quick \
	BENCH_DATABASE=$(BENCH_DATABASE)_quick BENCH_QUICK=1 BENCH_WEB_WORKERS=2 \
	BENCH_WEB_PATH_REQUESTS=100 BENCH_SEGMENTS_CUSTOMERS=2000 BENCH_SEGMENTS_ORDERS=10000 \
	BENCH_SEGMENTS_BASELINE=100 $(BENCH_PYTEST)
