#!/usr/bin/env bash
# A production start without containers: checks, migrations and static files, then gunicorn
# (config/gunicorn.conf.py; static files served by WhiteNoise) and the task worker(s), each
# restarted when it dies. Secrets come from the environment (docs/operations.md); a TLS proxy
# (nginx, Caddy) in front terminates HTTPS and forwards to $BIND.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-config.settings.production}
TASK_WORKERS=${TASK_WORKERS:-1}

$PY manage.py check --deploy --fail-level WARNING
$PY manage.py migrate --noinput -v0
$PY manage.py collectstatic --noinput -v0
# shellcheck source=scripts/worker_loop.sh
source scripts/worker_loop.sh
pids=()
for _ in $(seq 1 "$TASK_WORKERS"); do worker_loop & pids+=($!); done
stop() { kill "${pids[@]}" 2>/dev/null || true; }
trap stop INT TERM EXIT
.venv/bin/gunicorn -c config/gunicorn.conf.py config.wsgi
