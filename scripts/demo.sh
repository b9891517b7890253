#!/usr/bin/env bash
# The whole credvend flow on loopback: dev-idp as the issuer, moto_server as a
# signature-checking STS, seeded roles, `credvend serve`, a client getting
# credentials, and boto3 using them. Stops everything it started, also on
# failure or Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
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

step "Starting moto_server as the local STS (signature checks on after set-up)"
sts_port=$(free_port)
INITIAL_NO_AUTH_ACTION_COUNT=inf moto_server -H 127.0.0.1 -p "$sts_port" >"$work/moto.log" 2>&1 &
pids+=($!)
wait_port "$sts_port"
eval "$("$PYTHON" scripts/moto_setup.py "http://127.0.0.1:$sts_port" seed-data/roles.json)"
echo "IAM user credvend created (access key $AWS_ACCESS_KEY_ID); one IAM role per seeded mapping"

step "Starting credvend dev-idp (a local Cognito-style issuer)"
idp_port=$(free_port)
"$BIN" dev-idp --listen "127.0.0.1:$idp_port" --clients seed-data/dev-idp-clients.json --key "$work/idp-key.pem" \
    >"$work/idp.log" 2>&1 &
pids+=($!)
wait_log "$work/idp.log" 'listening on [0-9.:]+' >/dev/null
issuer="http://127.0.0.1:$idp_port"
echo "issuer $issuer, JWKS at $issuer/.well-known/jwks.json"

step "Seeding the role store from seed-data/roles.json"
"$BIN" roles --db "$work/db" import seed-data/roles.json
"$BIN" roles --db "$work/db" list | cut -c1-120

step "Starting credvend serve"
"$BIN" serve --listen 127.0.0.1:0 --db "$work/db" --issuer "$issuer" \
    --sts-endpoint "http://127.0.0.1:$sts_port" >"$work/serve.log" 2>&1 &
pids+=($!)
api=$(wait_log "$work/serve.log" 'listening on [0-9.:]+' | sed 's/listening on /http:\/\//')
for _ in $(seq 1 100); do curl -sf "$api/readyz" >/dev/null && break; sleep 0.1; done
echo "server at $api: $(curl -s "$api/readyz")"

client_id=$("$PYTHON" -c 'import json; print(json.load(open("seed-data/dev-idp-clients.json"))[0]["client_id"])')
client_secret=$("$PYTHON" -c 'import json; print(json.load(open("seed-data/dev-idp-clients.json"))[0]["client_secret"])')
step "Client $client_id: credvend get-credentials (token from dev-idp, then the vending API)"
creds=$(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY IDP_TYPE=cognito COGNITO_DOMAIN="$issuer" \
    COGNITO_CLIENT_ID="$client_id" COGNITO_CLIENT_SECRET="$client_secret" COGNITO_RESOURCE_SERVER=credvend \
    COGNITO_CREDENTIAL_API_URL="$api/v1/credentials" XDG_CACHE_HOME="$work/cache" "$BIN" get-credentials)
echo "$creds" | "$PYTHON" -c 'import json,sys; c=json.load(sys.stdin); print(json.dumps({k: (f"<{len(v)} characters, not shown>" if k in ("SecretAccessKey","SessionToken") else v) for k,v in c.items()}, indent=2))'

step "boto3 with the vended credentials: sts get-caller-identity"
echo "$creds" | env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$PYTHON" -c '
import json, sys, boto3
c = json.load(sys.stdin)
sts = boto3.client("sts", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id=c["AccessKeyId"],
                   aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])
print(sts.get_caller_identity()["Arn"])' "http://127.0.0.1:$sts_port"

step "The server's access log (no token or secret in it)"
grep ' request ' "$work/serve.log" | tail -3
step "Done: stopping everything the demo started"
