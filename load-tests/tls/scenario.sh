# load-tests/tls/scenario.sh: the tls scenario, sourced by load-tests/run after the role
# store is seeded (it uses run's start, stop, PIDS, WORK, OUT, CREDVEND, ISSUER, STS_URL).
# One run, --rounds times over, measures with wrk (the same client for every row):
#   plain-keepalive       credvend plain HTTP, keep-alive (the hot path)
#   native-keepalive      credvend's own TLS (libmicrohttpd + GnuTLS), keep-alive
#   nginx-keepalive       nginx terminating TLS, proxying to credvend's plain loopback
#                         listener over kept-alive upstream connections
#   native-handshake      credvend's own TLS, a new connection (full handshake) per request
#   nginx-handshake       nginx, a new connection (full handshake) per request
# with an ECDSA P-256 certificate, and the two handshake rows again with RSA-2048
# (rsa-native-handshake, rsa-nginx-handshake). tls_report.py prints the ratios.

for tool in wrk nginx openssl; do
    command -v "$tool" >/dev/null || { echo "$tool not found (scripts/install-deps.sh installs it)" >&2; exit 1; }
done
CORES=$(nproc)
[ "$TLS_TOKENS" -le "$CLIENTS" ] || { echo "tls: $TLS_TOKENS tokens need as many --clients" >&2; exit 64; }

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# cpu_ticks PID...: their user + system CPU time so far, in clock ticks (1/100 s).
cpu_ticks() {
    local files=()
    for p in "$@"; do files+=("/proc/$p/stat"); done
    awk '{ s += $14 + $15 } END { print s + 0 }' "${files[@]}"
}

# nginx_pids MASTER: the master and its workers.
nginx_pids() { echo "$1" $(ps -o pid= --ppid "$1"); }

# wait_ready URL [CURL ARGS...]: until /readyz answers 200.
wait_ready() {
    local url=$1; shift
    for _ in $(seq 300); do
        [ "$(curl -s "$@" -o /dev/null -w '%{http_code}' "$url/readyz")" = 200 ] && return 0
        sleep 0.1
    done
    echo "$url did not become ready" >&2; exit 1
}

# tls_server NAME DB CERTDIR: credvend serve with its own TLS; sets PID and PORT.
tls_server() {
    start "$1" "$CREDVEND" serve --listen 127.0.0.1:0 --db "$2" --issuer "$ISSUER" \
        --sts-endpoint "$STS_URL" --region us-east-1 --threads 2 --per-address-connection-limit 0 \
        --tls-cert "$3/server.pem" --tls-key "$3/server.key"
    wait_ready "https://127.0.0.1:$PORT" --cacert "$3/ca.pem"
}

# tls_nginx NAME CERTDIR UPSTREAM_PORT: nginx (Debian's package) terminating TLS 1.3 with
# the same certificate, as an operator would put it in front of credvend; sets PID and PORT.
# Workers matched to the cores; kept-alive upstream connections, dropped by nginx after 5 s
# idle, before credvend closes them (it holds a waiting keep-alive connection at most
# --request-deadline, 10 s: a POST sent on one it has just closed is answered 502); no access
# log (credvend writes one); no session tickets or cache, as credvend resumes no sessions
# either; keepalive_requests raised so that nginx, like credvend, never closes a busy connection.
tls_nginx() {
    local name=$1 certs=$2 upstream=$3 dir="$WORK/$1"
    PORT=$(free_port)
    mkdir -p "$dir/tmp"
    cat >"$dir/nginx.conf" <<CONF
worker_processes $CORES;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    upstream credvend {
        server 127.0.0.1:$upstream;
        keepalive 64;
        keepalive_requests 1000000;
        keepalive_timeout 5s;
    }
    server {
        listen 127.0.0.1:$PORT ssl;
        ssl_certificate $certs/server.pem;
        ssl_certificate_key $certs/server.key;
        ssl_protocols TLSv1.3;
        ssl_session_tickets off;
        ssl_session_cache off;
        keepalive_requests 1000000;
        location / {
            proxy_pass http://credvend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
        }
    }
}
CONF
    nginx -t -q -c "$dir/nginx.conf" -p "$dir" -g 'daemon off;' 2>"$dir/check.log" \
        || { cat "$dir/check.log" >&2; exit 1; }
    nginx -c "$dir/nginx.conf" -p "$dir" -g 'daemon off;' >"$dir/out.log" 2>&1 &
    PID=$!
    PIDS+=("$PID")
    wait_ready "https://127.0.0.1:$PORT" --cacert "$certs/ca.pem"
}

# wrk_row NAME ROUND URL CPU_PIDS [WRK ARGS...]: one measured row into $OUT/tls-ROUND-NAME.json.
wrk_row() {
    local name=$1 round=$2 url=$3 pids=$4; shift 4
    local before after load json
    # shellcheck disable=SC2086  # pids is a list
    before=$(cpu_ticks $pids)
    load=$(cut -d' ' -f1 /proc/loadavg)
    json=$(wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --timeout 5s "$@" \
        -s "$HERE/tls/credentials.lua" "$url" -- "$WORK/tls-tokens" | tail -1)
    # shellcheck disable=SC2086
    after=$(cpu_ticks $pids)
    python3 - "$OUT/tls-$round-$name.json" "$name" "$round" "$((after - before))" "$load" "$json" <<'PY'
import json, sys
path, name, rnd, ticks, load, out = sys.argv[1:]
row = json.loads(out)
row.update(row=name, round=int(rnd), server_cpu_seconds=int(ticks) / 100, loadavg_before=float(load))
json.dump(row, open(path, "w"), indent=1)
e = row["errors"]
print(f"  {name:22} {row['requests'] / row['duration_us'] * 1e6:9.0f} req/s  p50 {row['latency_us']['p50']} us  "
      f"p99 {row['latency_us']['p99']} us  errors {sum(e.values())}", file=sys.stderr)
PY
}

say "tls: certificates (openssl: ECDSA P-256 and RSA-2048, each with its CA), $TLS_TOKENS tokens"
"$HERE/tls/certs.sh" "$WORK/certs-ec" ec
"$HERE/tls/certs.sh" "$WORK/certs-rsa" rsa
for i in $(seq "$TLS_TOKENS"); do
    "$CREDVEND" dev-idp mint --key "$WORK/idp-key.pem" --client-id "lc$(printf '%06d' "$i")" \
        --issuer "$ISSUER" --ttl 7200
done >"$WORK/tls-tokens"
# Each server has a copy of the seeded store (one LMDB environment per process).
cp -a "$WORK/db" "$WORK/db-ec"
cp -a "$WORK/db" "$WORK/db-rsa"

start tls-plain "$CREDVEND" serve --listen 127.0.0.1:0 --db "$WORK/db" --issuer "$ISSUER" \
    --sts-endpoint "$STS_URL" --region us-east-1 --threads 2 --per-address-connection-limit 0
PLAIN_PID=$PID PLAIN_PORT=$PORT
wait_ready "http://127.0.0.1:$PLAIN_PORT"
tls_server tls-native-ec "$WORK/db-ec" "$WORK/certs-ec"
NATIVE_PID=$PID NATIVE_PORT=$PORT
tls_server tls-native-rsa "$WORK/db-rsa" "$WORK/certs-rsa"
RSA_NATIVE_PID=$PID RSA_NATIVE_PORT=$PORT
tls_nginx nginx-ec "$WORK/certs-ec" "$PLAIN_PORT"
NGINX_PID=$PID NGINX_PORT=$PORT
tls_nginx nginx-rsa "$WORK/certs-rsa" "$PLAIN_PORT"
RSA_NGINX_PID=$PID RSA_NGINX_PORT=$PORT

say "tls: warm-up (untimed): every token's credentials cached in each credvend"
for url in "http://127.0.0.1:$PLAIN_PORT" "https://127.0.0.1:$NATIVE_PORT" "https://127.0.0.1:$RSA_NATIVE_PORT"; do
    wrk -t 1 -c 8 -d 3s -s "$HERE/tls/credentials.lua" "$url" -- "$WORK/tls-tokens" >/dev/null
done
echo "$CORES cores; wrk -t $THREADS -c $CONNECTIONS -d ${DURATION}s; load average $(cut -d' ' -f1-3 /proc/loadavg)" \
    >"$OUT/tls-machine.txt"

close=(-H "Connection: close")
for round in $(seq "$TLS_ROUNDS"); do
    say "tls: round $round of $TLS_ROUNDS"
    wrk_row plain-keepalive "$round" "http://127.0.0.1:$PLAIN_PORT" "$PLAIN_PID"
    wrk_row native-keepalive "$round" "https://127.0.0.1:$NATIVE_PORT" "$NATIVE_PID"
    wrk_row nginx-keepalive "$round" "https://127.0.0.1:$NGINX_PORT" "$PLAIN_PID $(nginx_pids "$NGINX_PID")"
    wrk_row native-handshake "$round" "https://127.0.0.1:$NATIVE_PORT" "$NATIVE_PID" "${close[@]}"
    wrk_row nginx-handshake "$round" "https://127.0.0.1:$NGINX_PORT" "$PLAIN_PID $(nginx_pids "$NGINX_PID")" "${close[@]}"
    wrk_row rsa-native-handshake "$round" "https://127.0.0.1:$RSA_NATIVE_PORT" "$RSA_NATIVE_PID" "${close[@]}"
    wrk_row rsa-nginx-handshake "$round" "https://127.0.0.1:$RSA_NGINX_PORT" \
        "$PLAIN_PID $(nginx_pids "$RSA_NGINX_PID")" "${close[@]}"
done
curl -s --cacert "$WORK/certs-ec/ca.pem" "https://127.0.0.1:$NATIVE_PORT/metrics" \
    | grep '^credvend_tls_handshakes_total' >"$OUT/tls-native-handshakes.txt" || true
for pid in "$RSA_NGINX_PID" "$NGINX_PID" "$RSA_NATIVE_PID" "$NATIVE_PID" "$PLAIN_PID"; do stop "$pid"; done
for name in nginx-ec nginx-rsa; do cp "$WORK/$name/error.log" "$OUT/tls-$name-error.log"; done
python3 "$HERE/python/tls_report.py" --dir "$OUT" | tee "$OUT/tls-report.txt"
