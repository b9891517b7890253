#!/usr/bin/env bash
# Installs what credvend builds and tests with, idempotently: Debian packages
# (apt-get update once, only when something is missing) and PyPI packages.
set -euo pipefail

apt_packages=(pkg-config libmicrohttpd-dev libgnutls28-dev liblmdb-dev libssl-dev libcurl4-openssl-dev openssl curl procps)
# nginx: the replicas' load balancer in tests/e2e and the TLS-terminating proxy load-tests/run tls compares
# with; wrk: that scenario's load generator.
apt_packages+=(nginx wrk)
# AWS SDKs nobody here wrote, as clients in tests/e2e/test_sdks.py: Go v1 and v2 (built with
# GO111MODULE=off against Debian's packaged sources) and Ruby.
apt_packages+=(golang-go golang-github-aws-aws-sdk-go-dev golang-github-aws-aws-sdk-go-v2-dev ruby ruby-aws-sdk-core ruby-aws-sdk-s3)
missing=()
for p in "${apt_packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "install-deps: apt-get install ${missing[*]}" >&2
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" - <<'PY' 2>/dev/null
import importlib.util, sys
mods = ["moto", "flask", "flask_cors", "boto3", "botocore", "joserfc", "cryptography", "pytest", "xmltodict", "awscli", "matplotlib"]
sys.exit(0 if all(importlib.util.find_spec(m) for m in mods) else 1)
PY
then
    echo "install-deps: pip install moto[server] boto3 awscli joserfc cryptography pytest matplotlib" >&2
    "$PYTHON" -m pip install -q 'moto[server]>=5.0' boto3 awscli joserfc cryptography pytest matplotlib
fi
for tool in moto_server aws; do
    command -v "$tool" >/dev/null || { echo "install-deps: $tool not on PATH after install" >&2; exit 1; }
done
