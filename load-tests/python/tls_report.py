"""The tls scenario's table (load-tests/tls/scenario.sh): per row and round, wrk's
requests/s, p50/p99 and the servers' CPU per request; the ratios taken within each
round (rows of one round ran back to back, so they share the machine's load), and
their median over the rounds; the same ratios of server CPU per request, which other
work on the machine moves less than it moves requests/s. Writes tls-report.json."""
import argparse
import json
import statistics
from pathlib import Path

ROWS = ["plain-keepalive", "native-keepalive", "nginx-keepalive", "native-handshake", "nginx-handshake",
        "rsa-native-handshake", "rsa-nginx-handshake"]
# (name, numerator row, denominator row) of each ratio of requests/s.
RATIOS = [
    ("native TLS / plain (keep-alive)", "native-keepalive", "plain-keepalive"),
    ("nginx TLS / plain (keep-alive)", "nginx-keepalive", "plain-keepalive"),
    ("native / nginx (keep-alive)", "native-keepalive", "nginx-keepalive"),
    ("native / nginx (handshakes, P-256)", "native-handshake", "nginx-handshake"),
    ("native / nginx (handshakes, RSA-2048)", "rsa-native-handshake", "rsa-nginx-handshake"),
    ("handshake / keep-alive (native)", "native-handshake", "native-keepalive"),
]


def figures(row: dict) -> dict:
    n = row["requests"]
    return {
        "rps": n / row["duration_us"] * 1e6,
        "p50_us": row["latency_us"]["p50"],
        "p99_us": row["latency_us"]["p99"],
        "cpu_us_per_req": row["server_cpu_seconds"] * 1e6 / n if n else None,
        "errors": sum(row["errors"].values()),
        "loadavg_before": row["loadavg_before"],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    d = Path(ap.parse_args().dir)
    rounds: dict[int, dict[str, dict]] = {}
    for f in sorted(d.glob("tls-*-*.json")):
        row = json.loads(f.read_text())
        if "row" in row:
            rounds.setdefault(row["round"], {})[row["row"]] = figures(row)
    machine = (d / "tls-machine.txt").read_text().strip() if (d / "tls-machine.txt").exists() else ""
    print(f"tls scenario: {machine}")
    print(f"{'round':>5} {'row':22} {'req/s':>8} {'p50 us':>8} {'p99 us':>8} {'cpu us/req':>10} {'errors':>6} {'load':>5}")
    for r in sorted(rounds):
        for name in ROWS:
            if name in rounds[r]:
                x = rounds[r][name]
                cpu = f"{x['cpu_us_per_req']:.1f}" if x["cpu_us_per_req"] is not None else "-"
                print(f"{r:>5} {name:22} {x['rps']:8.0f} {x['p50_us']:8} {x['p99_us']:8} {cpu:>10} "
                      f"{x['errors']:>6} {x['loadavg_before']:5.2f}")
    ratios: dict[str, dict[str, list[float]]] = {"rps": {}, "cpu_us_per_req": {}}
    for key, title in (("rps", "requests/s"), ("cpu_us_per_req", "server CPU per request")):
        print(f"\nratios of {title}, within each round; median [min, max] over rounds")
        for label, num, den in RATIOS:
            vals = [rounds[r][num][key] / rounds[r][den][key] for r in sorted(rounds)
                    if num in rounds[r] and den in rounds[r] and rounds[r][den][key]]
            if vals:
                ratios[key][label] = vals
                each = ", ".join(f"{v:.2f}" for v in vals)
                print(f"  {label:40} {statistics.median(vals):5.2f}  [{min(vals):.2f}, {max(vals):.2f}]  ({each})")
    medians = {name: {k: statistics.median(rounds[r][name][k] for r in rounds if name in rounds[r])
                      for k in ("rps", "p50_us", "p99_us")}
               for name in ROWS if any(name in rounds[r] for r in rounds)}
    print("\nmedian over rounds")
    for name, m in medians.items():
        print(f"  {name:22} {m['rps']:8.0f} req/s  p50 {m['p50_us']:.0f} us  p99 {m['p99_us']:.0f} us")
    (d / "tls-report.json").write_text(json.dumps(
        {"machine": machine, "rounds": rounds, "ratios": ratios, "medians": medians}, indent=1))


if __name__ == "__main__":
    main()
