#!/usr/bin/env bash
# The credvend flow over mutual TLS with certificate-bound tokens, on loopback:
# a CA and certificates made here by openssl, dev-idp over mTLS binding each
# token to the certificate that fetched it, moto_server as the STS, `credvend
# serve --require-bound-tokens` over mTLS; device-1 gets credentials, then
# device-1's token presented with device-2's certificate is refused, and so is
# plain HTTP. Exits non-zero if any of that turns out otherwise. Stops
# everything it started, also on failure or Ctrl-C (scripts/demo-lib.sh).
source "$(dirname "$0")/demo-lib.sh"
pki="$work/pki"

# A leaf certificate $1 (CN) for extendedKeyUsage $2, optional subjectAltName $3,
# signed by the demo CA, valid for a day; key mode 0600 as serve requires.
issue() {
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\n%s' \
        "$2" "${3:+subjectAltName=$3}" >"$pki/$1.ext"
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$pki/$1.key" \
        -out "$pki/$1.csr" -subj "/O=credvend demo/CN=$1" 2>/dev/null
    chmod 600 "$pki/$1.key"
    openssl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial -days 1 \
        -extfile "$pki/$1.ext" -out "$pki/$1.pem" 2>/dev/null
}
# RFC 8705 x5t#S256 of certificate $1: base64url of the SHA-256 of its DER.
thumbprint() { openssl x509 -in "$1" -outform DER | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '='; }
# curl over mTLS as device $1 (trusting the demo CA); the rest are curl's arguments.
curl_as() { local d=$1; shift; curl -s --max-time 10 --cacert "$pki/ca.pem" --cert "$pki/$d.pem" --key "$pki/$d.key" "$@"; }

step "Making a CA, a server certificate (localhost, 127.0.0.1) and client certificates device-1, device-2 with openssl"
mkdir -m 700 "$pki"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$pki/ca.key" -out "$pki/ca.pem" \
    -days 1 -subj "/O=credvend demo/CN=credvend demo CA" -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
issue server serverAuth "DNS:localhost,IP:127.0.0.1"
issue device-1 clientAuth
issue device-2 clientAuth
for name in ca server device-1 device-2; do
    printf '%-9s %s\n' "$name" "$(openssl x509 -in "$pki/$name.pem" -noout -subject -enddate | paste -sd' ')"
done
echo "device-1 x5t#S256 $(thumbprint "$pki/device-1.pem")"
echo "device-2 x5t#S256 $(thumbprint "$pki/device-2.pem")"

start_sts

step "Starting credvend dev-idp over mTLS with --bind-tokens"
idp_port=$(free_port)
"$BIN" dev-idp --listen "127.0.0.1:$idp_port" --clients seed-data/dev-idp-clients.json --key "$work/idp-key.pem" \
    --tls-cert "$pki/server.pem" --tls-key "$pki/server.key" --client-ca "$pki/ca.pem" --bind-tokens \
    >"$work/idp.log" 2>&1 &
pids+=($!)
wait_log "$work/idp.log" 'listening on [0-9.:]+' >/dev/null
issuer="https://127.0.0.1:$idp_port"
# Every dev-idp connection needs a client certificate here, so serve gets the
# JWKS as a file, fetched once over mTLS.
curl_as device-1 -f -o "$work/jwks.json" "$issuer/.well-known/jwks.json"
echo "issuer $issuer; its JWKS fetched over mTLS into jwks.json for serve's --jwks-file"

seed_roles

step "Starting credvend serve over mTLS with --require-bound-tokens"
"$BIN" serve --listen 127.0.0.1:0 --db "$work/db" --issuer "$issuer" --jwks-file "$work/jwks.json" \
    --sts-endpoint "$sts_url" --tls-cert "$pki/server.pem" --tls-key "$pki/server.key" \
    --client-ca "$pki/ca.pem" --require-bound-tokens >"$work/serve.log" 2>&1 &
pids+=($!)
port=$(wait_log "$work/serve.log" 'listening on [0-9.:]+' | sed 's/.*://')
api="https://localhost:$port"
for _ in $(seq 1 100); do curl_as device-1 -f "$api/readyz" >/dev/null && break; sleep 0.1; done
echo "server at $api: $(curl_as device-1 "$api/readyz")"

client_id=$(demo_client 0 client_id)
client_secret=$(demo_client 0 client_secret)
# The client settings of device-1: the same certificate goes to dev-idp (which
# binds the token to it) and to the vending API.
device1_env=(IDP_TYPE=cognito COGNITO_DOMAIN="$issuer" COGNITO_CLIENT_ID="$client_id"
    COGNITO_CLIENT_SECRET="$client_secret" COGNITO_RESOURCE_SERVER=credvend
    COGNITO_CREDENTIAL_API_URL="$api/v1/credentials" XDG_CACHE_HOME="$work/cache"
    CREDVEND_CA_FILE="$pki/ca.pem" CREDVEND_CLIENT_CERT="$pki/device-1.pem" CREDVEND_CLIENT_KEY="$pki/device-1.key")
step "device-1: credvend get-credentials with CREDVEND_CA_FILE, CREDVEND_CLIENT_CERT, CREDVEND_CLIENT_KEY"
creds=$(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "${device1_env[@]}" "$BIN" get-credentials)
echo "$creds" | show_credentials
echo "device-1: credentials obtained over mTLS with a token bound to its certificate"

step "device-1: boto3 through credential_process (profile device-1 runs credvend get-credentials, which reuses its cache)"
printf '[profile device-1]\ncredential_process = %s get-credentials\nregion = us-east-1\n' "$BIN" >"$work/aws-config"
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "${device1_env[@]}" AWS_CONFIG_FILE="$work/aws-config" \
    AWS_SHARED_CREDENTIALS_FILE=/dev/null "$PYTHON" -c '
import sys, boto3
sts = boto3.Session(profile_name="device-1").client("sts", endpoint_url=sys.argv[1])
print("boto3 sts get-caller-identity:", sts.get_caller_identity()["Arn"])' "$sts_url"

step "device-1 fetches a token from dev-idp over mTLS (curl --cert device-1.pem); its cnf claim"
token=$(curl_as device-1 -f -u "$client_id:$client_secret" -d grant_type=client_credentials "$issuer/oauth2/token" |
    "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
echo "$token" | "$PYTHON" -c 'import base64,json,sys; p=sys.stdin.read().split(".")[1]; print("cnf:", json.dumps(json.loads(base64.urlsafe_b64decode(p+"="*(-len(p)%4)))["cnf"]))'
body="{\"access_token\": \"$token\"}"
status=$(curl_as device-1 -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d "$body" "$api/v1/credentials")
echo "POST /v1/credentials with device-1's certificate: HTTP $status"
[ "$status" = 200 ]

step "The same token stolen and presented with device-2's certificate"
answer=$(curl_as device-2 -w '\n%{http_code}' -H 'Content-Type: application/json' -d "$body" "$api/v1/credentials")
echo "POST /v1/credentials with device-2's certificate: HTTP ${answer##*$'\n'} ${answer%$'\n'*}"
[ "${answer##*$'\n'}" = 401 ]
echo "stolen token refused"

step "Plain HTTP to the TLS listener, and HTTPS without a client certificate"
set +e
plain=$(curl -sS --max-time 10 -H 'Content-Type: application/json' -d "$body" "http://127.0.0.1:$port/v1/credentials" 2>&1)
plain_rc=$?
anonymous=$(curl -sS --max-time 10 --cacert "$pki/ca.pem" "$api/readyz" 2>&1)
anonymous_rc=$?
set -e
echo "plain HTTP: curl exit $plain_rc: $plain"
[ "$plain_rc" != 0 ]
echo "plain HTTP refused"
echo "no client certificate: curl exit $anonymous_rc: $anonymous"
[ "$anonymous_rc" != 0 ]

step "TLS handshakes by outcome (GET /metrics)"
curl_as device-1 "$api/metrics" | grep '^credvend_tls_handshakes_total'

show_access_log 4 "$work/serve.log"
step "Done: stopping everything the demo started"
