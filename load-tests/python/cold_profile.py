#!/usr/bin/env python3
"""Summarises a `load-tests/run cold --perf` profile (perf-serve-cold.data) as
load-tests/profiles/*-serve-cold.txt show it: shares by library, inclusive shares of the
cold path's stages, kernel time by system call, who waits in futex, top self symbols.

    python3 load-tests/python/cold_profile.py results/<run>/perf-serve-cold.data "title" > out.txt

Stacks are frame-pointer walks: libcurl and libc frames without symbols cut some stacks
short, so the inclusive shares are lower bounds.
"""
import collections
import subprocess
import sys

# (what, a substring of the mangled symbol)
STAGES = [
    ("MHD access handler (request thread: parse, verify, role lookup, submit)", "mhdAccessHandler"),
    ("  VendingService.vend", "VendingServiceC4vend4body"),
    ("    JWTVerifier.verify", "JWTVerifierV6verify"),
    ("    RoleStore.get (decode of a record not seen before)", "CredVendStore04RoleC0C3get"),
    ("  STSCallPoolCore.submit", "STSCallPoolCoreC6submit"),
    ("  STSCallPoolCore.dispatch (starting a call where a slot freed)", "STSCallPoolCoreC8dispatch"),
    ("STSCallPoolCore.work (a pool worker thread, before 2026-12-02)", "STSCallPoolCoreC4work"),
    ("CurlLoopCore (the STS calls' loop: its own thread until 3d3bc42, the HTTP worker's after)", "CurlLoopCore"),
    ("MHDWorker.run (an HTTP worker's whole loop, after 3d3bc42)", "MHDWorkerC3run"),
    ("  fetchCredentials", "fetchCredentials"),
    ("    STSClient.call (blocking: sign, curl, parse)", "STSClientC4call"),
    ("    STSClient.start (sign, hand over; the answer parsed)", "STSClientC5start"),
    ("      AssumeRoleRequestBuilder (SigV4)", "AssumeRoleRequestBuilder"),
    ("      CurlEasy (Swift side of the transfer)", "CurlEasy"),
    ("      STSResponseParser", "STSResponseParser"),
    ("  CredentialCache.Entry.init (the answer's JSON)", "CredentialCacheC5EntryC"),
    ("  SingleFlight.run (blocking)", "SingleFlightC3run"),
    ("  SingleFlight.start", "SingleFlightC5start"),
    ("  ServeApplication.finishResponse (audit, access log, metrics)", "finishResponse"),
    ("LineLogHandler.log (every log line)", "LineLogHandlerV3log"),
    ("pthread_cond_signal", "pthread_cond_signal"),
    ("futex (kernel)", "do_futex"),
    ("__schedule (kernel)", "__schedule"),
    ("malloc", "malloc"),
    ("free", "cfree"),
    ("swift_retain", "swift_retain"),
    ("swift_release", "swift_release"),
]


def stacks(data):
    out = subprocess.run(
        ["perf", "script", "-i", data, "-F", "comm,tid,ip,sym"],
        capture_output=True, text=True, check=True,
    ).stdout
    for block in out.split("\n\n"):
        lines = [l.strip() for l in block.strip().split("\n") if l.strip()]
        if len(lines) < 2:
            continue
        yield [l.split(None, 1)[1] if len(l.split(None, 1)) > 1 else "" for l in lines[1:]]


def main():
    data, title = sys.argv[1], sys.argv[2]
    print(f"# {title}")
    print(f"# {data}: perf record -F 2999 -g of credvend serve during the measured cold phase")
    print("\n## Shares by library (self)")
    dso = subprocess.run(
        ["perf", "report", "-i", data, "--no-children", "--sort", "dso", "--stdio", "-g", "none"],
        capture_output=True, text=True,
    ).stdout
    print("\n".join([l for l in dso.splitlines() if l.strip() and not l.startswith("#")][:12]))

    total = 0
    stage = collections.Counter()
    syscall = collections.Counter()
    futex = collections.Counter()
    top = collections.Counter()
    for syms in stacks(data):
        total += 1
        joined = "\n".join(syms)
        for name, pattern in STAGES:
            if pattern in joined:
                stage[name] += 1
        calls = [s for s in syms if s.startswith(("__x64_sys_", "__do_sys"))]
        if calls:
            syscall[calls[-1]] += 1
        if "__x64_sys_futex" in joined:
            i = max(i for i, s in enumerate(syms) if "__x64_sys_futex" in s)
            user = [s for s in syms[i + 1:] if not s.startswith(("[", "do_syscall", "entry_SYSCALL"))][:3]
            futex[" <- ".join(u[:80] for u in user) or "[unknown]"] += 1
        top[syms[0][:110]] += 1

    pct = lambda n: f"{100 * n / max(1, total):6.2f}%"
    print(f"\n## Inclusive shares of the cold path's stages ({total} samples; a sample counts in every stage on its stack)")
    for name, _ in STAGES:
        print(f"{pct(stage[name])}  {name}")
    print("\n## Kernel time by system call (inclusive)")
    for name, n in syscall.most_common(10):
        print(f"{pct(n)}  {name}")
    print("\n## Who is in futex (the first frames above the system call)")
    for name, n in futex.most_common(8):
        print(f"{pct(n)}  {name}")
    print("\n## Top self symbols")
    for name, n in top.most_common(30):
        print(f"{pct(n)}  {name}")


if __name__ == "__main__":
    main()
