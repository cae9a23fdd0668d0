# jiceng — the two commands: `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PY := .venv/bin/python
CHROMIUM ?= /usr/bin/chromium
export UV_LINK_MODE ?= copy

.PHONY: help demo prod test install lint typecheck importlint migrations-check deploy-check pytest pytest-pg \
        browser chromium fonts bench fuzz messages clean pgbouncer scaleout scaleout-test

help:
	@echo "make demo   — install, build the demo data (SQLite under var/), start site + worker"
	@echo "make test   — lint, types, import rules, migrations check, tests on SQLite"
	@echo "              (and PostgreSQL when DATABASE_URL is set), browser tests in chromium"
	@echo "make bench  — benchmarks at city scale on PostgreSQL (needs BENCH_DATABASE_URL)"
	@echo "make fuzz   — Schemathesis over the whole API, long run (FUZZ_EXAMPLES=100)"

uv-ready:
	@command -v uv >/dev/null 2>&1 || [ -x "$(HOME)/.local/bin/uv" ] || python3 -m pip install --quiet uv

install: uv-ready
	@$$(command -v uv || echo $(HOME)/.local/bin/uv) sync --frozen --quiet

# The demo lives in 2005: its site reads this day as today (core.clock).
DEMO_TODAY ?= 2005-09-20

demo: install fonts
	@mkdir -p var
	$(PY) manage.py migrate --noinput -v0
	JICENG_TODAY=$(DEMO_TODAY) $(PY) manage.py scenario --scale demo --if-empty
	@JICENG_TODAY=$(DEMO_TODAY) bash scripts/demo.sh

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

typecheck: install
	.venv/bin/mypy jiceng config

importlint: install
	.venv/bin/lint-imports

migrations-check: install
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run

# The production settings pass Django's deployment checks (and drf-spectacular's schema check)
# with throw-away keys: nothing here is a real secret.
# A production start without containers (docs/operations.md): gunicorn + WhiteNoise + worker.
prod: install
	bash scripts/prod.sh

deploy-check: install
	@key() { $(PY) -c "import base64, os; print(base64.urlsafe_b64encode(os.urandom($$1)).decode())"; }; \
	DJANGO_SETTINGS_MODULE=config.settings.production SECRET_KEY=$$(key 48) \
	FIELD_ENCRYPTION_KEYS=$$(key 32) BLIND_INDEX_KEY=$$(key 32) \
	$(PY) manage.py check --deploy --fail-level WARNING

pytest: install fonts
	env -u DATABASE_URL .venv/bin/pytest -m "not browser and not scaleout" -q

pytest-pg: install fonts
	@if [ -n "$$DATABASE_URL" ]; then \
		echo "== pytest on PostgreSQL ($${DATABASE_URL%%@*}@…)"; \
		.venv/bin/pytest -m "not browser and not scaleout" -q; \
	else echo "DATABASE_URL not set: PostgreSQL run skipped (CI sets it)"; fi

chromium:
	@[ -x "$(CHROMIUM)" ] || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq chromium fonts-noto-cjk >/dev/null)

# The .docx report's charts are drawn by matplotlib with Noto Sans CJK (jiceng/reports/charts.py).
fonts:
	@[ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null)

# Scale-out on this machine (docs/operations.md "Scale-out"): a primary, a streaming replica,
# pgbouncer, two web processes and two task workers on loopback, and the test that drives them.
pgbouncer:
	@[ -x /usr/sbin/pgbouncer ] || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq pgbouncer >/dev/null)

scaleout: install pgbouncer
	$(PY) scripts/scaleout.py

scaleout-test: install pgbouncer
	env -u DATABASE_URL .venv/bin/pytest -m scaleout -q -p no:xdist tests/test_scaleout.py

browser: install chromium
	env -u DATABASE_URL .venv/bin/pytest -m browser -q -p no:xdist

test: lint typecheck importlint migrations-check deploy-check pytest pytest-pg browser scaleout-test

bench: install
	$(PY) bench/run.py
	$(PY) bench/imports.py
	$(PY) bench/exports.py
	$(PY) bench/load.py
	$(PY) bench/lifecycle.py
	$(PY) bench/campaigns.py
	$(PY) bench/optimize.py
	$(PY) bench/outreach.py
	$(PY) bench/voice.py
	$(PY) bench/appraisal.py
	$(PY) bench/reports.py
	$(PY) bench/workers.py
	$(PY) bench/development.py

# API fuzzing, the long run: many examples per operation (FUZZ_EXAMPLES, default 100) on SQLite,
# or PostgreSQL when DATABASE_URL is set; summary in bench/results/fuzz.json and BENCHMARKS.md.
fuzz: install
	$(PY) bench/fuzz.py

messages: install
	$(PY) scripts/make_messages.py

clean:
	rm -rf .venv var/*.sqlite3* .mypy_cache .ruff_cache
