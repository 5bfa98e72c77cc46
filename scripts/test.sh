#!/usr/bin/env bash
# Run the test suite against the real Kafka and PostgreSQL.
#
#   bash scripts/test.sh [pytest arguments...]
#
# Sets up the checkout (scripts/setup.sh --with-browser), starts the stack
# with `custodes stack up` (exits non-zero at once if a service cannot start),
# exports its environment and runs pytest with the given arguments.
# A stack that was already answering (yours, or another checkout's on the same
# ports) is used and left running; a stack this script started is stopped
# again when it ends. pytest collecting no test counts as a failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh --with-browser
custodes=.venv/bin/custodes
export PATH="$PWD/.venv/bin:$PATH"

if "$custodes" stack status >/dev/null 2>&1; then
    started_here=0
else
    started_here=1
    trap 'echo "[test] stopping the stack this run started"; "$custodes" stack down || true' EXIT
fi

if ! "$custodes" stack up; then
    echo "=====================================================================" >&2
    echo "test.sh: the stack (Kafka/PostgreSQL) could not start: no test was run." >&2
    echo "=====================================================================" >&2
    exit 1
fi
eval "$("$custodes" stack env)"

set +e
.venv/bin/python -m pytest --timeout=600 "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "test.sh: pytest collected no tests: counted as a failure" >&2
    status=1
fi
exit "$status"
