# Shared pieces of scripts/demo.sh and scripts/demo-tls.sh; sourced, not run.
# Sourcing it sets BIN, PYTHON and a scratch directory $work, and installs the
# trap that stops, by PID, every process a demo records in `pids` (also on
# failure or Ctrl-C). Every wait is bounded (15 s).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BIN=${CREDVEND_BIN:-$PWD/.build/release/credvend}
PYTHON=${PYTHON:-python3}
work=$(mktemp -d /tmp/credvend-demo.XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 150); do (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; echo "nothing on port $1" >&2; return 1; }
wait_log() { for _ in $(seq 1 150); do grep -Eo "$2" "$1" 2>/dev/null | head -1 && return 0; sleep 0.1; done; cat "$1" >&2; return 1; }

# moto_server on a free loopback port as the STS ($sts_url), with the IAM user
# credvend (exported as AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY for serve) and
# one role per mapping of seed-data/roles.json; signature checks on after that.
start_sts() {
    step "Starting moto_server as the local STS (signature checks on after set-up)"
    local port
    port=$(free_port)
    INITIAL_NO_AUTH_ACTION_COUNT=inf moto_server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
    pids+=($!)
    wait_port "$port"
    sts_url="http://127.0.0.1:$port"
    eval "$("$PYTHON" scripts/moto_setup.py "$sts_url" seed-data/roles.json)"
    echo "IAM user credvend created (access key $AWS_ACCESS_KEY_ID); one IAM role per seeded mapping"
}

# The role store $work/db from seed-data/roles.json.
seed_roles() {
    step "Seeding the role store from seed-data/roles.json"
    "$BIN" roles --db "$work/db" import seed-data/roles.json
    "$BIN" roles --db "$work/db" list | cut -c1-120
}

# Field $2 of client $1 (0-based) in seed-data/dev-idp-clients.json.
demo_client() {
    "$PYTHON" -c 'import json,sys; print(json.load(open("seed-data/dev-idp-clients.json"))[int(sys.argv[1])][sys.argv[2]])' "$1" "$2"
}

# The credential_process JSON on stdin, with the secrets replaced by their length.
show_credentials() {
    "$PYTHON" -c 'import json,sys; c=json.load(sys.stdin); print(json.dumps({k: (f"<{len(v)} characters, not shown>" if k in ("SecretAccessKey","SessionToken") else v) for k,v in c.items()}, indent=2))'
}

# The last $1 access-log lines of serve's log file $2 (no token or secret in them).
show_access_log() {
    step "The server's access log (no token or secret in it)"
    grep ' request ' "$2" | tail -"$1"
}
