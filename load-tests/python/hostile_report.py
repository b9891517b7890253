#!/usr/bin/env python3
"""The report of `load-tests/run hostile` (load-tests/README.md).

Reads the valid clients' phase (60-hostile.json, from `credvend-load drive`) and the
attackers' outcomes (61-hostile-attackers.json, from hostile.py) in --dir, takes one more
sample of the server (--pid: RSS and open fds after the attackers left; --port: its
counters, against --metrics-before), writes hostile-report.json and, when matplotlib is
installed, hostile-latency.png; prints the report.
"""

import argparse
import json
import os
import sys
import urllib.request


def proc_sample(pid: int) -> dict:
    status = open(f"/proc/{pid}/status").read().splitlines()
    kib = {line.split(":")[0]: int(line.split()[1]) for line in status if line.startswith(("VmRSS", "VmHWM"))}
    return {"rss_mib": round(kib["VmRSS"] / 1024, 1), "open_fds": len(os.listdir(f"/proc/{pid}/fd"))}


def counters(text: str, prefixes) -> dict:
    out = {}
    for line in text.splitlines():
        if line.startswith(prefixes):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dir", required=True)
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--metrics-before", required=True)
    a = p.parse_args()
    phase = json.load(open(os.path.join(a.dir, "60-hostile.json")))
    control_path = os.path.join(a.dir, "59-hostile-control.json")
    control = json.load(open(control_path)) if os.path.exists(control_path) else None
    attack = json.load(open(os.path.join(a.dir, "61-hostile-attackers.json")))
    settled = proc_sample(a.pid)
    after_text = urllib.request.urlopen(f"http://127.0.0.1:{a.port}/metrics", timeout=5).read().decode()
    wanted = (
        "credvend_connections_refused_total",
        "credvend_http_malformed_requests_total",
        "credvend_http_requests_total",
    )
    before, after = counters(open(a.metrics_before).read(), wanted), counters(after_text, wanted)
    server_counts = {k: v - before.get(k, 0) for k, v in sorted(after.items()) if v - before.get(k, 0)}

    ok = phase["statuses"].get("200", 0)
    failed = sum(n for s, n in phase["statuses"].items() if s != "200") + phase["errors"]
    sent = ok + failed
    fds = [row[1] for row in phase.get("fdSeries") or []]
    rss = [row[1] for row in phase.get("rssSeriesMiB") or []]
    lat = phase["latencyMicros"]
    report = {
        "valid_clients": {
            "target_rate": phase["targetRate"],
            "achieved_rate": round(phase["requestsPerSecond"], 1),
            "seconds": round(phase["seconds"], 1),
            "connections": phase["connections"],
            "answered_200": ok,
            "failed": failed,
            "error_rate": failed / sent if sent else None,
            "statuses": phase["statuses"],
            "connection_errors": phase["errors"],
            "reconnects": phase["reconnects"],
            "latency_us": {k: lat.get(k) for k in ["p50", "p90", "p99", "p99.9", "max", "mean"]},
            "worst_10s_window_p99_us": max((w[3] for w in phase.get("windowsMicros") or []), default=None),
        },
        "control_valid_clients_alone": control and {
            "seconds": round(control["seconds"], 1),
            "achieved_rate": round(control["requestsPerSecond"], 1),
            "statuses": control["statuses"],
            "connection_errors": control["errors"],
            "latency_us": {k: control["latencyMicros"].get(k) for k in ["p50", "p90", "p99", "p99.9", "max", "mean"]},
        },
        "server": {
            "rss_mib": {
                "start": round(phase["serverRssStartMiB"], 1),
                "end": round(phase["serverRssMiB"], 1),
                "peak_sampled": round(max(rss), 1) if rss else None,
                "peak_hwm": round(phase["serverPeakRssMiB"], 1),
                "after_attackers_left": settled["rss_mib"],
            },
            "open_fds": {
                "start": phase["serverFdsStart"],
                "end": phase["serverFdsEnd"],
                "peak_sampled": int(max(fds)) if fds else None,
                "after_attackers_left": settled["open_fds"],
            },
            "cpu_us_per_valid_request": phase.get("serverCpuMicrosPerRequest"),
            "cpu_percent_of_one_core": phase.get("serverCpuMicrosPerRequest") and round(
                phase["serverCpuMicrosPerRequest"] * phase["requests"] / phase["seconds"] / 1e4, 1
            ),
            "counters_during_run": server_counts,
        },
        "attackers": attack,
    }
    json.dump(report, open(os.path.join(a.dir, "hostile-report.json"), "w"), indent=1)

    v, s = report["valid_clients"], report["server"]
    print(f"hostile: {v['seconds']} s; valid clients {v['achieved_rate']} req/s of {v['target_rate']:.0f} "
          f"(open loop, {v['connections']} connections from 127.0.0.1)")
    print(f"  valid: {ok} answered 200, {failed} failed (error rate {100 * (v['error_rate'] or 0):.4f}%), "
          f"statuses {v['statuses']}, connection errors {v['connection_errors']}, "
          f"connections the server closed between requests {v['reconnects']}")
    names = ["p50", "p90", "p99", "p99.9", "max"]
    print("  valid latency us: " + ", ".join(f"{k} {v['latency_us'][k]:.0f}" for k in names)
          + f"; worst 10 s window p99 {v['worst_10s_window_p99_us'] or 0:.0f}")
    if control:
        c = report["control_valid_clients_alone"]
        print(f"  control, valid clients alone for {c['seconds']} s before: statuses {c['statuses']}, latency us "
              + ", ".join(f"{k} {c['latency_us'][k]:.0f}" for k in names))
    print("  server RSS MiB: " + ", ".join(f"{k} {x}" for k, x in s["rss_mib"].items()))
    print("  server open fds: " + ", ".join(f"{k} {x}" for k, x in s["open_fds"].items()))
    print(f"  server CPU during the attack: {s['cpu_percent_of_one_core']}% of one core; attackers' own CPU "
          f"{attack['cpu_seconds']} s")
    print("  server counters during the run: " + ", ".join(f"{k} {x:.0f}" for k, x in server_counts.items()
                                                         if "requests_total" not in k))
    print(f"  attackers: {sum(attack['attempts'].values())} attempts in {attack['seconds']} s "
          f"(16 KiB tokens: {attack['16_kib_token_bytes']} bytes)")
    for kind, outcomes in attack["outcomes"].items():
        print(f"    {kind}: " + ", ".join(f"{o} {n}" for o, n in sorted(outcomes.items(), key=lambda x: -x[1])))
    deadline = server_counts.get('credvend_connections_refused_total{reason="deadline"}', 0)
    unexplained = deadline - attack["trickle_closed_after_1s_seconds"]["count"]
    print(f"  deadline closes the trickles do not account for: {unexplained:.0f}")
    print(f"  trickle: held at once per address (peak, 1 s or more) {attack['trickle_held_peak_per_address']}; "
          f"closed after 1 s or more: {attack['trickle_closed_after_1s_seconds']}")
    print("  unexpected smuggling outcomes: " + (json.dumps(attack["unexpected"]) if attack["unexpected"] else "none"))
    plot(phase, os.path.join(a.dir, "hostile-latency.png"))


def plot(phase, path):
    """Valid clients' p50/p99/max per 10 s window and the server's fds, if matplotlib is there."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("  (no plot: matplotlib is not installed)")
        return
    w = phase.get("windowsMicros") or []
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(9, 6))
    for i, name in [(2, "p50"), (3, "p99"), (4, "max")]:
        top.plot([r[0] for r in w], [r[i] / 1000 for r in w], label=name)
    top.set_yscale("log")
    top.set_ylabel("valid-client latency, ms")
    top.legend()
    fds = phase.get("fdSeries") or []
    bottom.plot([r[0] for r in fds], [r[1] for r in fds])
    bottom.set_ylabel("server open fds")
    bottom.set_xlabel("seconds")
    fig.savefig(path, dpi=100)
    print(f"  plot: {path}")


if __name__ == "__main__":
    sys.exit(main())
