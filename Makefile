# The two commands (README.md): `make run` and `make test`. Everything else is set-up they call.
SHELL := /bin/bash
# The interpreter: the distribution's Python 3.11 where there is one (Debian's is built with profile-guided and
# link-time optimisation and linked statically; pyenv's default build, python3 on these machines' PATH, is
# neither, and spends about 30% more CPU on a page: docs/performance.md, session 37), else python3.
PYTHON ?= $(shell for p in /usr/bin/python3.11 python3; do \
	$$p -c 'import sys, venv, ensurepip; assert sys.version_info[:2] == (3, 11)' 2>/dev/null && { echo $$p; exit; }; \
	done; echo python3)
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?= -n 2 --dist worksteal
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
MO := locale/en/LC_MESSAGES/django.mo

.PHONY: run test fuzz setup chromium lint format lock messages clean

## run: set up, migrate, load the demo data, serve on http://127.0.0.1:8000 and run the notice worker
run: setup
	IBANK_ENV=development $(PY) manage.py migrate --noinput -v 0
	IBANK_ENV=development $(PY) manage.py load_zengin
	IBANK_ENV=development $(PY) manage.py demo_data
	IBANK_ENV=development $(PY) manage.py seal_audit
	@echo "Serving on http://$(HOST):$(PORT)/ with a notice worker  (Ctrl-C stops both)"
	IBANK_ENV=development HOST=$(HOST) PORT=$(PORT) PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho start --no-prefix -f Procfile

## test: set up (with Debian's Chromium) and run the whole suite
test: setup chromium
	$(PY) -m pytest $(PYTEST_ARGS)

## fuzz: hostile input at every page, the customer's and the branch's: 1,000 examples a fuzz test (about an hour)
fuzz: setup
	IBANK_FUZZ_EXAMPLES=1000 $(PY) -m pytest tests/test_fuzz.py tests/test_fuzz_headers.py tests/branch/test_fuzz_admin.py \
		tests/payments/test_transfer_sequences.py tests/phishing/test_passkey_registration.py \
		tests/phishing/test_passkey_answers.py $(PYTEST_ARGS)

setup: $(VENV)/.installed $(MO)

# --no-compile, then compileall on every core: pip byte-compiles one file after another (a fifth of a fresh
# set-up). Compiled here, not left to the first import: where PYTHONDONTWRITEBYTECODE is set (as on these
# machines) nothing else ever writes them, and every process would compile Django again (1.2 s to start
# instead of 0.55). --clear: made again (after a new lock, or `make clean`), it starts from an empty virtualenv:
# nothing the lock no longer lists stays installed, and its python is the one chosen above (without --clear,
# venv keeps the python link an earlier interpreter made).
$(VENV)/.installed: requirements.lock requirements-dev.lock
	$(PYTHON) -m venv --clear $(VENV)
	$(PY) -m pip install --quiet --no-compile --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --no-compile --require-hashes -r requirements-dev.lock
	$(PY) -m compileall -q -j 0 $(VENV)/lib
	touch $@

$(MO): locale/en/LC_MESSAGES/django.po
	@command -v msgfmt >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq gettext; }
	msgfmt --check -o $@ $<

# Debian's Chromium, and its headless shell (the same engine without the browser's window; the tests drive it,
# as Playwright drives its own headless shell): the browser tests take about 40% less CPU than in the full
# browser's headless mode. --no-install-recommends: the recommended printing, sound and desktop services (about
# a hundred packages, 30 s of a fresh machine's set-up) are nothing a headless test uses.
chromium:
	@[ -x /usr/bin/chromium ] && [ -x /usr/bin/chromium-headless-shell ] \
	  && [ -f /usr/share/fonts/opentype/ipafont-gothic/ipag.ttf ] || { \
	  echo "Installing Debian's Chromium and a Japanese font (pages are measured as phones draw them)"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
	    chromium chromium-headless-shell fonts-ipafont-gothic; }

## messages: refresh the English catalogue from the templates and code
messages: $(VENV)/.installed
	IBANK_ENV=development $(PY) manage.py makemessages -l en --no-obsolete -i .venv -i var -i tests -i bench
	$(MAKE) $(MO)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## lock: re-pin requirements.lock (runtime) and requirements-dev.lock (tools, constrained by the runtime pins), with hashes
PIP_COMPILE = $(VENV)/bin/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links
lock: $(VENV)/.installed
	$(PY) -m pip install --quiet pip-tools
	$(PIP_COMPILE) -o requirements.lock requirements.in
	$(PIP_COMPILE) -o requirements-dev.lock requirements-dev.in

clean:
	rm -rf $(VENV) var .pytest_cache $(MO)
