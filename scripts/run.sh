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

cat <<MSG

Custodes' services are running:
  Kafka       $KAFKA_BOOTSTRAP_SERVERS  (topics ebsp.events.v1, ebsp.findings.v1, ebsp.quarantine.v1)
  PostgreSQL  $DATABASE_URL

What next:
  eval "\$(.venv/bin/custodes stack env)"   point your shell at them
  .venv/bin/custodes --help                  every command
  .venv/bin/custodes stack status            what runs where
  bash scripts/test.sh                       the test suite
  .venv/bin/custodes stack down              stop the services (data stays in .local/)
MSG
