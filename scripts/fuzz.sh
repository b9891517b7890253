#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ (every module instrumented with libFuzzer
# coverage and AddressSanitizer) and runs each for FUZZ_SECONDS (default 60),
# starting from its committed seed corpus fuzz/Corpus/<target>/. New inputs go to
# fuzz/.build/corpus/<target>/ (not committed); crashes to fuzz/.build/crashes/<target>/.
# Prints the executions per target; exits non-zero if a target crashed.
# Usage: scripts/fuzz.sh [target...]    (FUZZ_SECONDS=10 scripts/fuzz.sh FuzzJSON)
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
SWIFT=${SWIFT:-swift}
SECONDS_PER_TARGET=${FUZZ_SECONDS:-60}
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(FuzzJSON FuzzJWT FuzzSTSXML FuzzRoleRecord FuzzCredentialFiles FuzzHandler)

mkdir -p .build
# A failed build must stop the run: the targets left from an earlier build would be fuzzed instead.
if ! "$SWIFT" build -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library >.build/fuzz-build.log 2>&1; then
    grep -v 'ld.gold: warning' .build/fuzz-build.log >&2
    echo "fuzz: the build failed" >&2
    exit 2
fi
BIN=$("$SWIFT" build --show-bin-path)

# The Swift runtime's backtracer would hold a crashing process; libFuzzer reports instead.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
failed=0
summary=()
for t in "${TARGETS[@]}"; do
    corpus=.build/corpus/$t crashes=.build/crashes/$t
    mkdir -p "$corpus" "$crashes"
    log=.build/fuzz-$t.log
    echo "== $t: ${SECONDS_PER_TARGET}s"
    set +e
    "$BIN/$t" "$corpus" "Corpus/$t" -max_total_time="$SECONDS_PER_TARGET" -timeout=20 -rss_limit_mb=2048 \
        -max_len=4096 -print_final_stats=1 -artifact_prefix="$crashes/" >"$log" 2>&1
    rc=$?
    set -e
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    if [ $rc -ne 0 ]; then
        failed=1
        grep -E 'invariant broken|Fatal error|ERROR: AddressSanitizer|ERROR: libFuzzer|Test unit written' "$log" | head -5 || true
        summary+=("$t: CRASH after ${execs:-?} executions (log $PWD/$log)")
    else
        summary+=("$t: ${execs:-?} executions, no crash")
    fi
done
echo
printf '%s\n' "${summary[@]}"
exit $failed
