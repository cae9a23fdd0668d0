#!/usr/bin/env bash
# Starts the web server and the task worker; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
# The demo runs as users see it: DEBUG off (friendly 404/403/500 pages, no technical pages),
# static files served by runserver's --insecure (production serves them without Django).
export DEBUG=${DEBUG:-0}

$PY manage.py runserver "$HOST:$PORT" --noreload --insecure &
WEB=$!
# shellcheck source=scripts/worker_loop.sh
source scripts/worker_loop.sh
worker_loop &
WORKER=$!
stop() { kill "$WEB" "$WORKER" 2>/dev/null || true; wait 2>/dev/null || true; echo; echo "stopped"; }
trap stop INT TERM EXIT

for _ in $(seq 1 60); do
  if $PY -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" \
      "http://$HOST:$PORT/health/" 2>/dev/null; then break; fi
  sleep 0.5
done
cat <<TXT

  基层 jiceng is running:  http://$HOST:$PORT/

  Demo logins (password for all: Jiceng@2005). Every role but member.self sets up two-step
  verification at its first login (a TOTP app; see README "Demo logins");
  OTP_REQUIRED_ROLES= make demo  switches that off for a look around without a phone.
    city.admin        市委组织部管理员 (whole city)
    huangpu.officer   黄浦区委组织部干部 (district officer)
    xuhui.officer     徐汇区委组织部干部 (district officer)
    street.officer    街道党工委干部 (committee officer)
    dianqi.officer    电气集团党委干部 (sector committee officer)
    branch.secretary  支部书记 (branch secretary)
    party.worker      党群工作者 (party-mass worker)
    auditor           审计员 (read-only, audit log)
    member.self       党员本人 (self-service)

  Ctrl-C stops the site and the worker.
TXT
wait "$WEB"  # the site runs until it stops or Ctrl-C; a dead worker is restarted above
