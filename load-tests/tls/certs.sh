#!/usr/bin/env bash
# load-tests/tls/certs.sh DIR ec|rsa: a CA and a server certificate for 127.0.0.1 that it
# issued, made with `openssl` at run time: DIR/ca.pem, DIR/server.pem (the server
# certificate then the CA: a full chain), DIR/server.key (mode 0600, which
# `credvend serve --tls-key` requires). ec: ECDSA P-256 keys; rsa: RSA-2048 keys.
set -euo pipefail
dir=$1
case "$2" in
    ec) keyopts=(-algorithm EC -pkeyopt ec_paramgen_curve:P-256); usage=digitalSignature ;;
    rsa) keyopts=(-algorithm RSA -pkeyopt rsa_keygen_bits:2048); usage=digitalSignature,keyEncipherment ;;
    *) echo "certs.sh: the kind is ec or rsa" >&2; exit 64 ;;
esac
mkdir -p "$dir"
cd "$dir"
umask 077
openssl genpkey "${keyopts[@]}" -out ca.key 2>/dev/null
openssl req -x509 -new -key ca.key -subj "/O=credvend load tests/CN=load CA $2" -days 2 -out ca.pem \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
openssl genpkey "${keyopts[@]}" -out server.key 2>/dev/null
openssl req -new -key server.key -subj "/O=credvend load tests/CN=127.0.0.1" -out server.csr
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,%s\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n' \
    "$usage" >server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -sha256 \
    -extfile server.ext -out leaf.pem 2>/dev/null
cat leaf.pem ca.pem >server.pem
chmod 600 server.key
chmod 644 ca.pem server.pem
