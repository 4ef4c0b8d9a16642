# The two commands of the README: `make run` and `make test`. Everything else supports them.
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
PYTHON ?= $(shell ./scripts/find-python)
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
# The suite runs in parallel (pytest-xdist), one worker per core, at most four.
TEST_WORKERS ?= auto
XDIST := -n $(TEST_WORKERS) --maxprocesses=4
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: messages-update run test test-postgres lint install lock assets messages font check-python

run: install assets messages font
	DEBUG=true $(PY) manage.py migrate --no-input
	DEBUG=true $(PY) manage.py createcachetable
	DEBUG=true $(PY) manage.py seed_demo
	@DEBUG=true $(PY) manage.py seed_demo --logins
	@echo ""
	@# Says where the site serves once runserver really answers on the port, not before.
	@DEBUG=true $(PY) manage.py announce_server --port $(PORT) &
	DEBUG=true $(PY) manage.py runserver 127.0.0.1:$(PORT)

test: install assets messages font
	HUAMU_TESTING=true $(PY) -m pytest $(XDIST) $(PYTEST_ARGS)

test-postgres: install assets messages font
	HUAMU_TESTING=true DATABASE_URL=$(PG_URL) $(PY) -m pytest $(XDIST) $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	HUAMU_TESTING=true $(VENV)/bin/mypy
	HUAMU_TESTING=true $(PY) manage.py makemigrations --check --dry-run

check-python:
	@test -n "$(PYTHON)" || { echo "Stopping: no Python 3.12+ (see above)."; exit 1; }

install: $(VENV)/.installed

# Exactly the versions and files of requirements.lock, checked by hash; again whenever the
# lock changes. The project itself runs from this folder and is not installed.
$(VENV)/.installed: requirements.lock | check-python
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	@touch $@

# Re-resolve pyproject.toml's dependencies and the dev extra to their newest allowed releases,
# pinned with hashes for Python 3.12 and newer; commit requirements.lock afterwards.
lock: install
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --generate-hashes --upgrade \
		--python-version 3.12 --custom-compile-command "make lock" --quiet -o requirements.lock

# Bootstrap and axe-core come from the npm registry at build time; nothing loads from a CDN.
assets: static/vendor/.built

static/vendor/.built: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js and npm (apt-get install nodejs npm)."; exit 1; }
	npm ci --no-audit --no-fund --silent
	mkdir -p static/vendor/bootstrap static/vendor/axe-core
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/css/bootstrap.min.css.map static/vendor/bootstrap/
	cp node_modules/axe-core/axe.min.js static/vendor/axe-core/
	@touch $@

# The Chinese font PDFs embed: Debian's fonts-wqy-microhei, fetched without root if missing.
font:
	@./scripts/fetch-font >/dev/null

# Compiled catalogues are made here, never committed.
messages: install
	@command -v msgfmt >/dev/null || { echo "msgfmt is missing: install GNU gettext (apt-get install gettext)."; exit 1; }
	HUAMU_TESTING=true $(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0

# Extract new strings into the Chinese catalogue; translate them, then commit the .po file.
messages-update: install
	HUAMU_TESTING=true $(PY) manage.py makemessages -l zh_Hans --no-location --ignore=.venv --ignore=node_modules --ignore=tests
