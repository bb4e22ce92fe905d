# Two commands matter: `make run` and `make test`. Everything else is a step they take.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Debian packages `make run` uses: Redis, the demo mailbox's Dovecot, and for printed documents
# (PDF) WeasyPrint's Pango libraries and the Noto CJK fonts it embeds.
APT_RUN := redis-server dovecot-imapd libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk
# Debian packages the test suite talks to: databases, Redis, Dovecot, Chromium and CJK fonts.
# poppler-utils: pdffonts and pdftotext check the printed PDFs. nginx, openssl and systemd
# (systemd-analyze): the production files of deploy/ are checked and run (tests/deploy).
APT_TEST := redis-server postgresql dovecot-imapd chromium chromium-driver fonts-noto-cjk \
	libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils nginx openssl systemd
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test lint lock test-dates venv venv-test translations system-run system-test bench-web bench-mail bench-queue clean help

help:
	@echo "make run   - web, worker, periodic work (sweep, reminders) and mailbox watcher (SQLite, local Redis,"
	@echo "             a demo mailbox when IMAP_HOST is not set)"
	@echo "make test  - install what the tests need, start their servers, run the suite"
	@echo "make lint  - ruff, import layers, copied code (part of make test)"
	@echo "make lock  - pin and hash requirements*.txt from requirements*.in (pip-tools)"

run: system-run venv translations
	$(BIN)/python -m intake.dev.devstack

# Two test processes (pytest-xdist): on two cores much of the suite waits on its servers. Each
# process starts its own Redis, Dovecot, SMTP receiver and PostgreSQL database. worksteal: a
# process that runs out of tests takes some from the other, so a long walk near the end (the
# hostile-input walks, the kill -9 tests) does not leave one core idle.
test: system-test venv-test translations lint
	$(BIN)/python -m pytest -n 2 --dist worksteal $(PYTEST_ARGS)
	$(MAKE) --no-print-directory test-dates

# Lint, format, the import layers (pyproject.toml) and copied code in intake/ (six lines or more).
lint: venv-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/pylint --disable=all --enable=duplicate-code --min-similarity-lines=6 --ignore-imports=yes \
	  --ignore-comments=yes --ignore-docstrings=yes --score=no intake

# The date-sensitive tests again with the clock on a month end, a year end and the Spring
# Festival (除夕 2026): no test may depend on the day it runs (tests/conftest.py: test_clock).
DATE_SENSITIVE := tests/rectification tests/feedback/test_services.py tests/triage/test_queue.py
test-dates: venv-test translations
	@for day in 2026-11-30 2026-12-31 2026-02-16; do \
	  echo "== clock at $$day"; \
	  INTAKE_TEST_TODAY=$$day $(BIN)/python -m pytest -q -n 2 --dist worksteal -k "sqlite and not browser" $(DATE_SENSITIVE) || exit 1; \
	done

# --- Python ------------------------------------------------------------------------------
$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV) || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); \
	  else echo "Install python3-venv (sudo apt-get install python3-venv) and retry"; exit 1; fi; }
	$(BIN)/pip install -q --upgrade pip

# requirements*.txt are compiled from requirements*.in by `make lock` (pip-tools), every package
# pinned with its hashes, so pip installs exactly what was tested.
$(VENV)/.installed: requirements.txt $(BIN)/python
	$(BIN)/pip install -q --require-hashes -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements.txt requirements-test.txt $(VENV)/.installed
	$(BIN)/pip install -q --require-hashes -r requirements-test.txt
	touch $@

# After editing requirements.in or requirements-test.in: pin and hash everything anew.
PIP_COMPILE := $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links
lock: venv-test
	$(PIP_COMPILE) --output-file requirements.txt requirements.in
	$(PIP_COMPILE) --output-file requirements-test.txt requirements-test.in

venv: $(VENV)/.installed
venv-test: $(VENV)/.installed-test

translations: venv
	$(BIN)/python -m intake.i18n_build

# --- Debian packages (installed when missing and we are root; otherwise we say what) ------
define apt_ensure
	@missing=""; for p in $(1); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
	  else echo "Missing Debian packages:$$missing. Install them: sudo apt-get install -y$$missing"; exit 1; fi; \
	fi
endef

system-run:
	$(call apt_ensure,$(APT_RUN))

system-test:
	$(call apt_ensure,$(APT_TEST))

# --- Benchmarks (not part of the test suite) -------------------------------------------------
bench-web: venv-test translations
	$(BIN)/python bench/web_submit.py

bench-mail: system-test venv-test translations
	$(BIN)/python bench/mail_ingest.py

bench-queue: venv-test translations
	$(BIN)/python bench/staff_queue.py

clean:
	rm -rf $(VENV) instance/intake.sqlite3*
