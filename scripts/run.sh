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
  nohup "$custodes" simulate --out kafka --inject default --state-dir .local/sim/main \
    --trust-out "$state/trust.toml" --truth-out "$state/truth.jsonl" \
    >>"$state/simulate.log" 2>&1 &
  echo $! >"$state/simulate.pid"
  echo "simulators started (pid $!, log $state/simulate.log)"
fi
for _ in $(seq 1 60); do [ -s "$state/trust.toml" ] && break; sleep 1; done
"$custodes" process --background --trust "$state/trust.toml" \
  --pidfile "$state/process.pid" --logfile "$state/process.log" || true

cat <<MSG

Custodes' services are running:
  Kafka       $KAFKA_BOOTSTRAP_SERVERS  (topics ebsp.events.v1, ebsp.findings.v1, ebsp.quarantine.v1)
  PostgreSQL  $DATABASE_URL
  Simulators  streaming into ebsp.events.v1   log .local/state/simulate.log
  Processor   custodes process (background)   log .local/state/process.log (progress every 5 s)
              findings: table findings, topic ebsp.findings.v1; projections: docs/live.md

What next:
  eval "\$(.venv/bin/custodes stack env)"   point your shell at them
  .venv/bin/custodes --help                  every command
  .venv/bin/custodes stack status            what runs where
  bash scripts/test.sh                       the test suite
  .venv/bin/custodes process --stop --pidfile .local/state/process.pid   stop the processor cleanly
  kill "\$(cat .local/state/simulate.pid)"        stop the simulators
  .venv/bin/custodes stack down              stop the services (data stays in .local/)
MSG
