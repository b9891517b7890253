#!/usr/bin/env bash
# Checks what the compiler cannot: that C stays inside the interop targets.
#
# The compiler already refuses unsafe constructs in the strict-memory-safety targets
# (CredVendCore, CredVend, CredVendTesting, CredVendCLI). It cannot tell which target a
# C module or a syscall belongs to, nor see an unsafe escape hatch that is not a pointer.
#   - each C module is imported only in its own interop target (COpenSSL only in
#     CredVendCrypto's *_openssl.swift backing files);
#   - Glibc, and syscalls reached through it or through Foundation, only in the interop
#     targets (CredVendSystem for the general ones; a C library's own target for calls on
#     its handles, such as fstat on the LMDB file);
#   - @unchecked Sendable, nonisolated(unsafe), Unmanaged, unsafeBitCast and withUnsafe*
#     only in the interop targets.
# Each finding is printed as FILE:LINE: rule, then the line.
set -euo pipefail
cd "$(dirname "$0")/.."

readonly INTEROP='^Sources/(CredVendCrypto|CredVendSystem|CredVendStore|CredVendHTTP|CredVendSync)/'
# Syscalls called by name. A Swift method call with a labelled first argument
# (`open(readOnly: true)`) and a member call (`x.write(`) are not syscalls.
readonly SYSCALLS='access|mkfifo|readlink|open|openat|creat|close|read|write|pread|pwrite|unlink|unlinkat|rename|renameat|link|symlink|mkdir|mkdtemp|rmdir|chmod|fchmod|chown|fchown|stat|lstat|fstat|fsync|fdatasync|ftruncate|truncate|dup|dup2|pipe|fcntl|ioctl|mmap|munmap|socket|bind|listen|accept|accept4|connect|setsockopt|getsockopt|getsockname|getpeername|getaddrinfo|freeaddrinfo|inet_ntop|inet_pton|poll|epoll_[a-z_]+|select|signal|sigaction|kill|raise|fork|execv|execve|waitpid|usleep|nanosleep|sleep|gettimeofday|clock_gettime|gmtime_r|localtime_r|timegm|mktime|getpid|umask|flock|strerror|pthread_[a-z_]+'

failures=0

# report RULE PATTERN ALLOWED: every Swift line under Sources/ matching the extended
# regex PATTERN, in a file whose path does not match ALLOWED, is a finding.
report() {
    local rule=$1 pattern=$2 allowed=$3 hits
    hits=$(grep -rnE --include='*.swift' "$pattern" Sources | grep -vE "^[^:]+:[0-9]+:[[:space:]]*//" \
        | { [ -n "$allowed" ] && grep -vE "$allowed" || cat; } || true)
    if [ -n "$hits" ]; then
        while IFS= read -r hit; do
            local location=${hit%%:*} rest=${hit#*:}
            local line=${rest%%:*} text=${rest#*:}
            echo "$location:$line: $rule" >&2
            echo "    ${text#"${text%%[![:space:]]*}"}" >&2
        done <<<"$hits"
        failures=$((failures + $(wc -l <<<"$hits")))
    fi
}

import_of() { echo "^[[:space:]]*(@[A-Za-z_]+[[:space:]]+)*((public|package|internal|fileprivate|private)[[:space:]]+)?import[[:space:]]+(struct[[:space:]]+|func[[:space:]]+|enum[[:space:]]+|class[[:space:]]+)?$1([[:space:].]|$)"; }

report "COpenSSL is imported only in CredVendCrypto's *_openssl.swift backing files" \
    "$(import_of COpenSSL)" '^Sources/CredVendCrypto/[^/:]+_openssl\.swift:'
report "CLMDB is imported only in CredVendStore" "$(import_of CLMDB)" '^Sources/CredVendStore/'
report "CMicroHTTPD is imported only in CredVendHTTP" "$(import_of CMicroHTTPD)" '^Sources/CredVendHTTP/'
report "CGnuTLS is imported only in CredVendHTTP's GnuTLS.swift" "$(import_of CGnuTLS)" '^Sources/CredVendHTTP/GnuTLS\.swift:'
report "CCurl is imported only in CredVendHTTP's Curl.swift" "$(import_of CCurl)" '^Sources/CredVendHTTP/Curl\.swift:'
report "CEventPoll is imported only in CredVendSystem's EventPoll.swift" "$(import_of CEventPoll)" '^Sources/CredVendSystem/EventPoll\.swift:'
report "Glibc (and the C library under any name) is imported only in the interop targets" \
    "$(import_of '(Glibc|SwiftGlibc|Musl|Darwin|CDispatch)')" "$INTEROP"
report "syscalls are made only in the interop targets, not through Foundation elsewhere" \
    "(^|[^.A-Za-z0-9_])(Foundation|Glibc|SwiftGlibc|Musl|Darwin)\.($SYSCALLS)\(" "$INTEROP"
# A bare call with an unlabelled first argument, unless the file declares a function,
# closure or variable of that name itself (then the call is to that).
bare=$(grep -rnoE --include='*.swift' "(^|[^.A-Za-z0-9_])($SYSCALLS)\\([[:space:]]*([^[:space:]a-zA-Z_)]|[A-Za-z_][A-Za-z0-9_.]*[[:space:]]*([^:A-Za-z0-9_.[:space:]]|$))" Sources \
    | grep -vE "$INTEROP" || true)
while IFS= read -r hit; do
    [ -n "$hit" ] || continue
    file=${hit%%:*} rest=${hit#*:}
    line=${rest%%:*} name=$(sed -E 's/^[^:]*:[^:]*:[^a-z_]*([a-z_0-9]+)\(.*/\1/' <<<"$hit")
    text=$(sed -n "${line}p" "$file")
    grep -qE "^[[:space:]]*//" <<<"$text" && continue
    grep -qE "(func[[:space:]]+$name[[:space:]]*[(<]|(let|var)[[:space:]]+$name[[:space:]]*[:=])" "$file" && continue
    [ "$file:$line" = "${last:-}" ] && continue
    last="$file:$line"
    echo "$file:$line: syscalls are made only in the interop targets, behind safe types ($name)" >&2
    echo "    ${text#"${text%%[![:space:]]*}"}" >&2
    failures=$((failures + 1))
done <<<"$bare"
report "@unchecked Sendable only in the interop targets" '@unchecked[[:space:]]+Sendable' "$INTEROP"
report "nonisolated(unsafe) only in the interop targets" 'nonisolated\(unsafe\)' "$INTEROP"
report "Unmanaged only in the interop targets" '(^|[^A-Za-z0-9_])Unmanaged([^A-Za-z0-9_]|$)' "$INTEROP"
report "unsafeBitCast only in the interop targets" '(^|[^A-Za-z0-9_])unsafeBitCast\(' "$INTEROP"
report "withUnsafe* only in the interop targets" '(^|[^A-Za-z0-9_])withUnsafe[A-Za-z]*' "$INTEROP"

if [ "$failures" -gt 0 ]; then
    echo "check-interop: $failures finding(s); move the code into an interop target behind a safe type" >&2
    exit 1
fi
echo "check-interop: C modules, syscalls and unsafe escape hatches stay in their interop targets"
