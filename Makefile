# Two commands on a fresh machine:  make run  (serve on 127.0.0.1:5000)  ·  make test
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
LOCALES := ar zh_Hant ur pl pa bn hi es de fr tr ms
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install install-test assets catalogs run test audit test-sqlite test-postgresql extract update-catalogs bench screenshots clean

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.txt
	$(PY) -m pip install -q -r requirements-test.txt
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

install: $(VENV)/.installed assets catalogs

assets: node_modules/.package-lock.json
	bash scripts/build_assets.sh

# Compiled catalogs are built from the .po files, never committed or edited by hand.
catalogs: $(VENV)/.installed
	$(VENV)/bin/pybabel compile --statistics -d sdp_public/translations

run: install
	$(VENV)/bin/flask --app wsgi db upgrade
	$(VENV)/bin/flask --app wsgi run --host $(HOST) --port $(PORT)

# The SQLite suite (with the browser) and the PostgreSQL suite run side by side: neither
# touches the other's database (only the PostgreSQL run restarts PostgreSQL), and the
# SQLite run spends most of its time waiting on browsers and real processes. Each suite's
# output (and its random seed) is printed whole when it finishes.
test: install $(VENV)/.installed-test
	$(MAKE) audit
	$(MAKE) -j2 --output-sync=target test-sqlite test-postgresql

# Known vulnerabilities in the pinned packages fail the build (scripts/audit_dependencies.sh).
audit: $(VENV)/.installed-test
	bash scripts/audit_dependencies.sh

# Every run in a new random order (pytest-randomly); the seed is printed at the top
# ("Using --randomly-seed=..."): rerun a failing order with  make test-sqlite SEED=<seed>
RANDOM_ORDER = -p randomly $(if $(SEED),--randomly-seed=$(SEED))

test-sqlite:
	SDP_TEST_DATABASE=sqlite $(PY) -m pytest $(RANDOM_ORDER) -n 2 --dist loadfile

# The same database tests again on PostgreSQL (throwaway databases, a fresh one per test that needs it).
test-postgresql:
	SDP_TEST_DATABASE=postgresql $(PY) -m pytest $(RANDOM_ORDER) -m "db and not browser"

# Translators' workflow: extract strings, merge them into every catalog, then translate.
extract: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ -k ngettext:1,2 --no-location --sort-output \
	  --project sdp_public -o sdp_public/translations/messages.pot .

update-catalogs: extract
	$(VENV)/bin/pybabel update -i sdp_public/translations/messages.pot -d sdp_public/translations --no-fuzzy-matching --ignore-obsolete

# PNG screenshots of key pages in six languages at three widths, for review.
screenshots: install $(VENV)/.installed-test
	$(PY) scripts/screenshots.py

bench: install
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) node_modules sdp_public/static/build
