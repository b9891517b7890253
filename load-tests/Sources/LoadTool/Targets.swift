/// The issue's targets, checked against one run's results (benchmarks, not tests).
enum Targets {
    static func evaluate(_ r: RunReport) -> [String: String] {
        var out: [String: String] = [:]
        func phase(_ label: String) -> PhaseResult? { r.phases.first { $0.label == label } }
        func f(_ v: Double, _ d: Int = 1) -> String { Table.num(v, d) }
        if let m = r.micro {
            let row = { (n: String) in m.rows.first { $0.name == n } }
            if let v = m.opensslVerifyMicros, let d = row("d_vend_new_token") {
                let ratio = d.nsPerOp / (v * 1000)
                out["micro d new token <= 1.5x openssl verify"] =
                    "\(ratio <= 1.5 ? "met" : "MISSED"): \(f(ratio, 2))x (\(f(d.nsPerOp / 1000, 2)) us vs \(f(v, 2)) us)"
            }
            if let d = row("d_vend_repeated_token") {
                out["micro d repeated token <= 2 us"] =
                    "\(d.nsPerOp <= 2000 ? "met" : "MISSED"): \(f(d.nsPerOp / 1000, 2)) us"
            }
            if let py = m.python {
                for name in ["d_vend_repeated_token", "d_vend_new_token", "e_lambda_path_validate_lookup_sign"] {
                    if let d = row(name) {
                        let ratio = d.opsPerSecond / py.opsPerSecond
                        out["micro \(name) >= 20x python"] = "\(ratio >= 20 ? "met" : "MISSED"): \(f(ratio))x"
                    }
                }
            }
        }
        if let hot = phase("hot"), let ref = phase("ref") {
            let ratio = hot.requestsPerSecond / ref.requestsPerSecond
            out["hot closed >= 50% of C reference"] =
                "\(ratio >= 0.5 ? "met" : "MISSED"): \(f(ratio * 100))% (\(f(hot.requestsPerSecond, 0)) vs \(f(ref.requestsPerSecond, 0)) req/s)"
        }
        for open in r.phases
        where open.scenario == "hot" && open.targetRate != nil && open.label != "soak"
            && !open.label.hasPrefix("hostile")
        {
            guard let rate = open.targetRate, let p99 = open.latencyMicros["p99"] else { continue }
            let ref = r.phases.first { $0.scenario == "ref" && $0.targetRate == rate }?.latencyMicros["p99"]
            let name = rate == 20000 ? "hot open@20000 p99 <= 1 ms" : "hot open@\(Int(rate)) p99 (context)"
            out[name] =
                "\(p99 <= 1000 ? "met" : "MISSED"): p99 \(f(p99, 0)) us at \(f(open.requestsPerSecond, 0)) req/s"
                + (ref.map { "; C reference p99 \(f($0, 0)) us at the same rate" } ?? "")
        }
        for cold in r.phases where cold.scenario == "cold" {
            guard let cpu = cold.serverCpuMicrosPerRequest else { continue }
            out["\(cold.label) server CPU <= 100 us/request"] =
                "\(cpu <= 100 ? "met" : "MISSED"): \(f(cpu)) us"
                + (cold.notes["c_reference_same_rate_cpu_us"].map {
                    "; the C reference answering a fixed body at the same rate: \($0) us"
                } ?? "")
            if let py = cold.notes["python_lambda_cold_cpu_us"].flatMap(Double.init) {
                let ratio = py / cpu
                out["cold >= 10x the Python Lambda's cold path"] =
                    "\(ratio >= 10 ? "met" : "MISSED"): \(f(ratio))x (\(f(cpu)) us vs \(f(py)) us of CPU per request, same stub)"
            }
        }
        if let fresh = phase("fresh") {
            out["fresh tokens >= 30000 req/s"] =
                "\(fresh.requestsPerSecond >= 30000 ? "met" : "MISSED"): \(f(fresh.requestsPerSecond, 0)) req/s"
        }
        if let rej = phase("reject"), let rc = rej.serverCpuMicrosPerRequest {
            var parts: [String] = []
            var ok = true
            for other in ["hot", "fresh"] {
                if let v = phase(other)?.serverCpuMicrosPerRequest {
                    parts.append("\(other) \(f(v)) us")
                    if other == "fresh" { ok = ok && rc <= v * 1.05 }
                }
            }
            out["reject CPU/request <= valid token"] =
                "\(ok ? "met" : "MISSED"): reject \(f(rc)) us/req vs " + parts.joined(separator: ", ")
            if let j = rej.notes["jwks_fetches"] { out["reject JWKS fetches within the 30 s rule"] = j }
        }
        if let hot = phase("hot"), let peak = hot.serverPeakRssMiB {
            out["peak RSS <= 64 MiB (hot, \(hot.notes["clients"] ?? "?") clients)"] =
                "\(peak <= 64 ? "met" : "MISSED"): \(f(peak)) MiB"
        }
        if let soak = phase("soak"), let series = soak.rssSeriesMiB, let last = series.last, last[0] >= 290,
            let one = series.min(by: { abs($0[0] - 60) < abs($1[0] - 60) })
        {
            let growth = (last[1] - one[1]) / one[1] * 100
            out["RSS after 5 min within 5% of 1 min"] =
                "\(abs(growth) <= 5 ? "met" : "MISSED"): \(f(one[1])) MiB at 1 min, \(f(last[1])) MiB at \(f(last[0], 0)) s (\(f(growth, 2))%)"
        }
        if let h = phase("hostile"), let p99 = h.latencyMicros["p99"], let maxUs = h.latencyMicros["max"] {
            let failed = h.statuses.filter { $0.key != "200" }.values.reduce(0, +) + h.errors
            out["hostile: every valid request answered 200 under attack (context: p99)"] =
                "\(failed == 0 ? "met" : "MISSED"): \(failed) of \(h.requests + h.errors) failed; "
                + "p99 \(f(p99, 0)) us, max \(f(maxUs, 0)) us at \(f(h.requestsPerSecond, 0)) req/s"
        }
        for p in r.phases {
            guard let s = p.storm else { continue }
            out.merge(fleet(p, s)) { $1 }
        }
        return out
    }

    /// The storm's targets (and steady's figures): every client served, STS calls <= 1.05 x clients,
    /// throttled <= 5% of calls, all served by 1.2 x N / R, nothing but 200 or 503 with Retry-After.
    static func fleet(_ p: PhaseResult, _ s: StormSummary) -> [String: String] {
        func f(_ v: Double, _ d: Int = 1) -> String { Table.num(v, d) }
        func mark(_ ok: Bool) -> String { ok ? "met" : "MISSED" }
        let name = p.label
        var out: [String: String] = [:]
        out["\(name): every client gets credentials"] =
            "\(mark(s.clientsWithCredentials == s.clients)): \(s.clientsWithCredentials) of \(s.clients); outcomes \(s.outcomes)"
        let others = s.statuses.filter { $0.key != "200" && $0.key != "503" }.values.reduce(0, +)
        out["\(name): only 200 or 503 with Retry-After"] =
            "\(mark(others == 0 && s.unavailableWithoutRetryAfter == 0 && s.connectErrors == 0)): statuses \(s.statuses), "
            + "503 without Retry-After \(s.unavailableWithoutRetryAfter), failed connections \(s.connectErrors) \(s.connectErrorKinds ?? [:]), driver descriptor waits \(s.driverDescriptorWaits ?? 0)"
        if let calls = s.stsCalls {
            let ratio = Double(calls) / Double(s.clients)
            out["\(name): STS calls <= 1.05 x clients"] = "\(mark(ratio <= 1.05)): \(calls) calls, \(f(ratio, 3)) x"
            if let throttled = s.stsThrottled, calls > 0 {
                let share = Double(throttled) / Double(calls) * 100
                out["\(name): throttled <= 5% of STS calls"] = "\(mark(share <= 5)): \(throttled) (\(f(share))%)"
            }
        }
        if p.scenario == "storm", let rate = p.notes["sts_rate"].flatMap(Double.init), rate > 0 {
            let allowed = 1.2 * Double(s.clients) / rate
            out["\(name): all served within 1.2 x N / R"] =
                "\(mark((s.secondsUntilAll ?? .infinity) <= allowed)): "
                + (s.secondsUntilAll.map { "\(f($0)) s" } ?? "not all served")
                + " (1.2 x N / R = \(f(allowed)) s; arrivals over \(f(s.arrivalSeconds, 0)) s)"
        }
        if let threads = s.serverPeakThreads { out["\(name): server peak threads (context)"] = "\(threads)" }
        return out
    }
}
