# Sourced by demo.sh and prod.sh: run the task worker, restarting it when it dies (a task that
# kills it must not take the site down); run_worker first retries or fails the imports a dead
# worker left running. Expects $PY.
worker_loop() {
  local child=""
  trap '[ -n "$child" ] && kill "$child" 2>/dev/null; exit 0' INT TERM
  while true; do
    $PY manage.py run_worker --no-reload &
    child=$!
    wait "$child" || echo "task worker stopped; restarting in 2 s" >&2
    sleep 2
  done
}
