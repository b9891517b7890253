#!/usr/bin/env bash
# Fails when C interop leaks out of Sources/CredVend/Interop/: every C module
# import, unsafe pointer and C callback must stay in its library's wrapper.
set -euo pipefail
cd "$(dirname "$0")/.."
leaks=$(grep -rnE 'Unsafe[A-Za-z]*Pointer|UnsafeRaw|OpaquePointer|import C(MicroHTTPD|LMDB|OpenSSL|Curl|Dispatch)\b|@convention\(c\)' \
    Sources --include='*.swift' | grep -v '^Sources/CredVend/Interop/' || true)
if [ -n "$leaks" ]; then
    echo "C interop outside Sources/CredVend/Interop/:" >&2
    echo "$leaks" >&2
    exit 1
fi
echo "check-interop: C modules, unsafe pointers and C callbacks stay in Sources/CredVend/Interop/"
