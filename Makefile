# Night Cramps. `make run` serves the site; `make test` runs every test. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := .venv
PY := .venv/bin/python
MANAGE := $(PY) manage.py

.PHONY: help install install-site run run-front serve prepare superuser browser fonts test test-fast test-sqlite test-postgres lint bench deploy-rehearsal clean

help:
	@echo "make run        install, prepare the database and content, serve on http://127.0.0.1:8000/"
	@echo "make run-front  the same behind deploy/nginx.conf: https://127.0.0.1:8443/"
	@echo "make test       install and run the whole test suite (SQLite, then PostgreSQL)"
	@echo "make test-fast  only the fast tests: no browser, gunicorn, nginx or PostgreSQL"
	@echo "make superuser  create an admin account (asks for a password)"
	@echo "make bench      measure speed and size"
	@echo "make deploy-rehearsal  follow docs/deploy.md on a throwaway layout (as root, minutes)"

# uv is installed into a local tools folder, pinned, so nothing is installed globally.
$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

# Everything, test tools included (make test).
install: $(UV)
	$(UV) sync --locked --all-groups

# Only what the site needs to run; --inexact leaves the test tools alone if they are there.
install-site: $(UV)
	$(UV) sync --locked --no-dev --inexact

# The share images' fonts (Debian's fonts-dejavu-core), installed with apt when missing and run
# as root.
fonts:
	scripts/ensure-fonts

prepare: install-site fonts
	$(MANAGE) migrate --noinput
	$(MANAGE) load_content
	$(MANAGE) collectstatic --noinput --verbosity 0

run: prepare
	@echo "Serving on http://$${GUNICORN_BIND:-127.0.0.1:8000}/  (admin: /admin/, see README)"
	.venv/bin/gunicorn -c cramps_site/gunicorn.conf.py cramps_site.wsgi

# gunicorn as `make run`, behind nginx with the shipped deploy/nginx.conf (Debian's nginx,
# installed with apt when missing and run as root); see scripts/run_front.py.
run-front: prepare
	@scripts/ensure-nginx >/dev/null
	$(PY) -m scripts.run_front

superuser: prepare
	$(MANAGE) createsuperuser

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

# Browser tests drive Debian's chromium (installed with apt when missing and run as root).
browser:
	scripts/ensure-chromium

test-sqlite: install browser fonts
	.venv/bin/pytest

test-postgres: install browser fonts
	scripts/with-postgres .venv/bin/pytest

test: lint test-sqlite test-postgres

# Everything not marked browser or server (tests/conftest.py marks them), on SQLite, spread
# over the machine's cores (pytest-xdist; the server and browser tests stay one at a time).
test-fast: install fonts
	.venv/bin/pytest -m "not browser and not server" -n auto

# gunicorn + production settings on loopback, loaded with wrk (Debian package); see the script.
bench: install
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } || \
		{ echo "make bench needs wrk: run 'sudo apt-get install wrk'" >&2; exit 1; }
	$(PY) -m scripts.bench

# docs/deploy.md on a throwaway layout on this machine, backup and restore included (as root).
deploy-rehearsal: install
	scripts/deploy-rehearsal

clean:
	rm -rf .venv $(TOOLS) staticfiles .pytest_cache
