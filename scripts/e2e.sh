#!/usr/bin/env bash
# The end-to-end suite against $CREDVEND_BIN. Tests marked `beside` (long and mostly
# idle: a 60 s DynamoDB outage) run in a second pytest beside the rest, so their
# waiting does not add to the suite's time; both must pass.
set -uo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
beside_log=$(mktemp)
trap 'rm -f "$beside_log"' EXIT
"$PYTHON" -m pytest -q -p no:cacheprovider -m beside tests/e2e "$@" >"$beside_log" 2>&1 &
beside=$!
"$PYTHON" -m pytest -q --durations=15 -m "not beside" tests/e2e "$@"
rc=$?
wait "$beside"
beside_rc=$?
[ "$beside_rc" = 5 ] && beside_rc=0  # none of them selected (a -k given)
echo "== the tests run beside the rest (-m beside)"
cat "$beside_log"
exit $((rc != 0 || beside_rc != 0))
