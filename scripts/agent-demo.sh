#!/usr/bin/env bash
# `credvend agent` on one host, for real: moto_server as a signature-checking
# STS with three IAM roles, dev-idp as the IdP, `credvend serve` with a record
# for client-a holding a default role and the named roles `logs` and `backup`,
# and an agent with two sockets (shipper.sock: group adm, role logs;
# backup.sock: group nogroup, role backup). uid 65534 plays the backup job.
# Needs root (the sockets get other groups) and setpriv. Prints each command as
# `$ ...` with its output; secret keys and session tokens are cut to 6
# characters. Stops everything it started, by PID (scripts/demo-lib.sh).
# docs/agent.md's "Example session" is this script's output.
CREDVEND_BIN=${CREDVEND_BIN:-$(cd "$(dirname "$0")/.." && pwd)/.build/debug/credvend}
source "$(dirname "$0")/demo-lib.sh"
[ "$(id -u)" = 0 ] || { echo "agent-demo.sh: run as root (the sockets are given the groups adm and nogroup)" >&2; exit 2; }

sockdir=${SOCKDIR:-/run/credvend-demo}
[ ! -e "$sockdir" ] || { echo "agent-demo.sh: $sockdir exists; remove it or set SOCKDIR" >&2; exit 2; }
# `credvend` on PATH for the displayed commands, in a directory uid 65534 may
# enter (the scratch directory $work is 0700 and holds the IdP's secrets).
bindir=$(mktemp -d /tmp/credvend-bin.XXXXXX)
chmod 0755 "$bindir"
ln -s "$BIN" "$bindir/credvend"
export PATH="$bindir:$PATH"
trap 'cleanup; rm -rf "$bindir"; rmdir "$sockdir" 2>/dev/null || true' EXIT

redact() { sed -E 's/("(SecretAccessKey|SessionToken|Token)": ?")([^"]{6})[^"]*/\1\3…/g'; }
# Prints `$ <command>`, runs it, shows its output (redacted) and a nonzero exit.
run() {
    printf '$ %s\n' "$*"
    local rc=0
    bash -c "$*" 2>&1 | redact || rc=$?
    [ "$rc" = 0 ] || echo "(exit $rc)"
}

step "moto_server as STS; IAM roles app-a, logs and backup"
arns="$work/arns.json"
# moto_setup.py creates one IAM role per record's role_arn.
printf '[{"role_arn":"arn:aws:iam::123456789012:role/%s"},{"role_arn":"arn:aws:iam::123456789012:role/%s"},{"role_arn":"arn:aws:iam::123456789012:role/%s"}]\n' \
    app-a logs backup >"$arns"
port=$(free_port)
INITIAL_NO_AUTH_ACTION_COUNT=inf moto_server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
pids+=($!)
wait_port "$port"
sts_url="http://127.0.0.1:$port"
serve_keys=$("$PYTHON" scripts/moto_setup.py "$sts_url" "$arns" | sed 's/^export //')

step "dev-idp with client-a"
printf '[{"client_id":"client-a","client_secret":"s3cret-a-value","scopes":["credvend/write"]}]\n' >"$work/idp-clients.json"
"$BIN" dev-idp --listen 127.0.0.1:0 --clients "$work/idp-clients.json" >"$work/idp.log" 2>&1 &
pids+=($!)
idp_url=$(wait_log "$work/idp.log" 'listening on [0-9.:]+' | sed 's/listening on /http:\/\//')

step "credvend serve with client-a's record"
cat >"$work/roles.json" <<EOF
[{"client_id": "client-a", "role_arn": "arn:aws:iam::123456789012:role/app-a", "server_name": "server-01",
  "roles": [{"name": "logs", "role_arn": "arn:aws:iam::123456789012:role/logs",
             "bucket": "logs-bucket", "s3_path_prefix": "hosts/server-01/", "permission": "write"},
            {"name": "backup", "role_arn": "arn:aws:iam::123456789012:role/backup",
             "bucket": "backup-bucket", "s3_path_prefix": "hosts/server-01/", "permission": "read-write",
             "session_duration_s": 7200}]}]
EOF
"$BIN" roles --db "$work/db" import "$work/roles.json" >/dev/null
env $serve_keys "$BIN" serve --listen 127.0.0.1:0 --db "$work/db" --issuer "$idp_url" --sts-endpoint "$sts_url" \
    --required-scope credvend/write >"$work/serve.log" 2>&1 &
pids+=($!)
api=$(wait_log "$work/serve.log" 'listening on [0-9.:]+' | sed 's/listening on /http:\/\//')
for _ in $(seq 1 100); do curl -sf "$api/readyz" >/dev/null && break; sleep 0.1; done

step "The agent"
mkdir -m 0755 "$sockdir"
cat >"$work/agent.yaml" <<EOF
client:
  IDP_TYPE: cognito
  COGNITO_DOMAIN: $idp_url
  COGNITO_CLIENT_ID: client-a
  COGNITO_RESOURCE_SERVER: credvend
  COGNITO_CREDENTIAL_API_URL: $api
refresh_buffer: 900
sockets:
  - path: $sockdir/shipper.sock
    mode: "0660"
    group: adm
    roles: [logs]
    default_role: logs
  - path: $sockdir/backup.sock
    mode: "0660"
    group: nogroup
    roles: [backup]
    default_role: backup
EOF
cat >"$bindir/aws-config" <<EOF
[profile shipper]
credential_process = credvend get-credentials --socket $sockdir/shipper.sock
[profile backup]
credential_process = credvend get-credentials --socket $sockdir/backup.sock
EOF
echo
run "credvend roles --db $work/db list"
run "cat $work/agent.yaml"
printf '$ COGNITO_CLIENT_SECRET=… credvend agent --config %s 2>%s &\n' "$work/agent.yaml" "$work/agent.log"
COGNITO_CLIENT_SECRET=s3cret-a-value "$BIN" agent --config "$work/agent.yaml" 2>"$work/agent.log" &
agent=$!
pids+=($agent)
wait_log "$work/agent.log" 'listening on /' >/dev/null
run "ls -l $sockdir"
run "credvend get-credentials --socket $sockdir/shipper.sock"
run "cat $bindir/aws-config"
export AWS_CONFIG_FILE="$bindir/aws-config" AWS_ENDPOINT_URL_STS="$sts_url" AWS_DEFAULT_REGION=us-east-1
printf '$ export AWS_CONFIG_FILE=%s AWS_ENDPOINT_URL_STS=%s AWS_DEFAULT_REGION=us-east-1\n' "$AWS_CONFIG_FILE" "$sts_url"
run "aws --profile shipper sts get-caller-identity"
run "curl -s -w ' %{http_code}\n' --unix-socket $sockdir/shipper.sock 'http://localhost/v1/credentials?role=backup'"
nobody="setpriv --reuid=65534 --regid=65534 --clear-groups"
run "$nobody credvend get-credentials --socket $sockdir/shipper.sock"
run "$nobody credvend get-credentials --socket $sockdir/backup.sock"
run "$nobody credvend generate --socket $sockdir/backup.sock --format env --out - >$work/nobody.env"
run "(. $work/nobody.env && aws sts get-caller-identity)"
run "credvend generate --socket $sockdir/backup.sock --ttl 10m --out $work/backup-aws"
run "credvend generate --socket $sockdir/backup.sock --ttl 1h --out $work/backup-aws && ls -l $work/backup-aws"
printf '$ kill -TERM %s; wait %s; echo "exit $?"\n' "$agent" "$agent"
kill -TERM "$agent"
rc=0
wait "$agent" || rc=$?
echo "exit $rc"
run "cat $work/agent.log"
run "ls -l $sockdir"
run "grep ' request ' $work/serve.log"
