#!/usr/bin/env bash
# The whole credvend flow on loopback: dev-idp as the issuer, moto_server as a
# signature-checking STS, seeded roles, `credvend serve`, a client getting
# credentials, and boto3 using them. Stops everything it started, also on
# failure or Ctrl-C (scripts/demo-lib.sh).
source "$(dirname "$0")/demo-lib.sh"

start_sts

step "Starting credvend dev-idp (a local Cognito-style issuer)"
idp_port=$(free_port)
"$BIN" dev-idp --listen "127.0.0.1:$idp_port" --clients seed-data/dev-idp-clients.json --key "$work/idp-key.pem" \
    >"$work/idp.log" 2>&1 &
pids+=($!)
wait_log "$work/idp.log" 'listening on [0-9.:]+' >/dev/null
issuer="http://127.0.0.1:$idp_port"
echo "issuer $issuer, JWKS at $issuer/.well-known/jwks.json"

seed_roles

step "Starting credvend serve"
"$BIN" serve --listen 127.0.0.1:0 --db "$work/db" --issuer "$issuer" \
    --sts-endpoint "$sts_url" >"$work/serve.log" 2>&1 &
pids+=($!)
api=$(wait_log "$work/serve.log" 'listening on [0-9.:]+' | sed 's/listening on /http:\/\//')
for _ in $(seq 1 100); do curl -sf "$api/readyz" >/dev/null && break; sleep 0.1; done
echo "server at $api: $(curl -s "$api/readyz")"

client_id=$(demo_client 0 client_id)
client_secret=$(demo_client 0 client_secret)
step "Client $client_id: credvend get-credentials (token from dev-idp, then the vending API)"
creds=$(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY IDP_TYPE=cognito COGNITO_DOMAIN="$issuer" \
    COGNITO_CLIENT_ID="$client_id" COGNITO_CLIENT_SECRET="$client_secret" COGNITO_RESOURCE_SERVER=credvend \
    COGNITO_CREDENTIAL_API_URL="$api/v1/credentials" XDG_CACHE_HOME="$work/cache" "$BIN" get-credentials)
echo "$creds" | show_credentials

step "boto3 with the vended credentials: sts get-caller-identity"
echo "$creds" | env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$PYTHON" -c '
import json, sys, boto3
c = json.load(sys.stdin)
sts = boto3.client("sts", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id=c["AccessKeyId"],
                   aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])
print(sts.get_caller_identity()["Arn"])' "$sts_url"

show_access_log 3 "$work/serve.log"
step "Done: stopping everything the demo started"
