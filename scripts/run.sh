#!/usr/bin/env bash
# The main job: bring Custodes up on this machine and show that data flows.
#
#   bash scripts/run.sh
#
# Each step is idempotent; the services stay running afterwards
# (`.venv/bin/custodes stack down` stops them).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
custodes=.venv/bin/custodes

"$custodes" stack up
eval "$("$custodes" stack env)"

"$custodes" stack smoke

# The pipeline: node simulators at default scale streaming into Kafka (real time,
# resumable state in .local/sim/main), and the live processor, both in the background.
state=.local/state
mkdir -p "$state"
if [ -f "$state/simulate.pid" ] && kill -0 "$(cat "$state/simulate.pid")" 2>/dev/null; then
  echo "simulators already running (pid $(cat "$state/simulate.pid"))"
else
  # --speed 60: one simulated hour per minute, so findings and deadlines show within a demo.
  nohup "$custodes" simulate --out kafka --inject default --speed 60 --state-dir .local/sim/main \
    --trust-out "$state/trust.toml" --truth-out "$state/truth.jsonl" \
    >>"$state/simulate.log" 2>&1 &
  echo $! >"$state/simulate.pid"
  echo "simulators started (pid $!, log $state/simulate.log)"
fi
for _ in $(seq 1 60); do [ -s "$state/trust.toml" ] && break; sleep 1; done
if ! "$custodes" process --background --trust "$state/trust.toml" \
  --pidfile "$state/process.pid" --logfile "$state/process.log"; then
  echo "run.sh: the live processor did not start; see $state/process.log" >&2
  exit 1
fi

# The supervisors' dashboard (migrates the schema at start), with one demo user per role.
"$custodes" users seed-demo | tee "$state/demo-users.txt"
ui_port="${CUSTODES_UI_PORT:-8000}"
if [ -f "$state/ui.pid" ] && kill -0 "$(cat "$state/ui.pid")" 2>/dev/null; then
  echo "dashboard already running (pid $(cat "$state/ui.pid"))"
else
  CUSTODES_TRUST="$state/trust.toml" nohup "$custodes" ui --host 127.0.0.1 --port "$ui_port" >>"$state/ui.log" 2>&1 &
  echo $! >"$state/ui.pid"
fi
for _ in $(seq 1 60); do
  .venv/bin/python -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" \
    "http://127.0.0.1:$ui_port/login" 2>/dev/null && break
  kill -0 "$(cat "$state/ui.pid")" 2>/dev/null || { echo "run.sh: the dashboard exited; see $state/ui.log" >&2; exit 1; }
  sleep 1
done

cat <<MSG

Custodes' services are running:
  Kafka       $KAFKA_BOOTSTRAP_SERVERS  (topics ebsp.events.v1, ebsp.findings.v1, ebsp.quarantine.v1)
  PostgreSQL  $DATABASE_URL
  Simulators  streaming into ebsp.events.v1 at 60x real time   log .local/state/simulate.log
  Processor   custodes process (background)   log .local/state/process.log (progress every 5 s)
  Dashboard   http://127.0.0.1:$ui_port/   log .local/state/ui.log
              demo logins (one per role): .local/state/demo-users.txt (printed above)
              findings: table findings, topic ebsp.findings.v1; projections: docs/live.md

What next:
  eval "\$(.venv/bin/custodes stack env)"   point your shell at them
  .venv/bin/custodes --help                  every command
  .venv/bin/custodes stack status            what runs where
  bash scripts/test.sh                       the test suite
  .venv/bin/custodes process --stop --pidfile .local/state/process.pid   stop the processor cleanly
  kill "\$(cat .local/state/simulate.pid)"        stop the simulators
  kill "\$(cat .local/state/ui.pid)"              stop the dashboard
  .venv/bin/custodes stack down              stop the services (data stays in .local/)
MSG
