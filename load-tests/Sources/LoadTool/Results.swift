import Foundation
import Histogram

/// One row of the results: a scenario phase and what it measured. Latencies in µs.
struct PhaseResult: Codable {
    var scenario: String
    var label: String
    var server: String
    var sts: String
    var mode: String
    var targetRate: Double?
    var connections: Int
    var threads: Int
    var seconds: Double
    var requests: Int
    var requestsPerSecond: Double
    var latencyMicros: [String: Double]
    var serviceMicros: [String: Double]
    var statuses: [String: Int]
    var errors: Int
    var reconnects: Int
    var responseBodyBytes: Int
    var serverPeakRssMiB: Double?
    var serverRssMiB: Double?
    var serverCpuMicrosPerRequest: Double?
    var rssSeriesMiB: [[Double]]?
    /// The server at the start and at the end of the measured phase, and its open fds each second ([s, fds]).
    var serverRssStartMiB: Double?
    var serverFdsStart: Int?
    var serverFdsEnd: Int?
    var fdSeries: [[Double]]?
    /// With `drive --window S`: per window [end second, requests, p50, p99, max] (µs).
    var windowsMicros: [[Double]]?
    /// The latency distribution for plots: [percentile, µs] at percentiles from 0 to 100
    /// (0, 1, 5, 10 ... 40, 50, 75, 87.5, ... halving the rest each step, then 100).
    var latencyCurveMicros: [[Double]]?
    /// The fleet scenarios' own figures (storm, steady).
    var storm: StormSummary?
    var notes: [String: String] = [:]

    static func percentiles(_ h: Histogram<UInt64>) -> [String: Double] {
        guard h.totalCount > 0 else { return [:] }
        var out: [String: Double] = [:]
        for (name, p) in [("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("p99.9", 99.9)] {
            out[name] = Double(h.valueAtPercentile(p)) / 1000
        }
        out["max"] = Double(h.max) / 1000
        out["mean"] = h.mean / 1000
        return out
    }

    static func curve(_ h: Histogram<UInt64>) -> [[Double]]? {
        guard h.totalCount > 0 else { return nil }
        var out: [[Double]] = [[0, Double(h.min) / 1000]]
        for p in [1.0, 5, 10, 20, 30, 40] { out.append([p, Double(h.valueAtPercentile(p)) / 1000]) }
        var rest = 100.0
        while rest > 0.0005 {
            rest /= 2
            let p = 100 - rest
            out.append([p, Double(h.valueAtPercentile(p)) / 1000])
        }
        out.append([100, Double(h.max) / 1000])
        return out
    }
}

/// Everything one `load-tests/run` wrote, and what the table prints.
struct RunReport: Codable {
    var machine: MachineInfo
    var startedAt: String
    var command: String
    var phases: [PhaseResult]
    var micro: MicroReport?
    var checks: [String: String] = [:]
}

struct MicroReport: Codable {
    var rows: [MicroBench.Row]
    var opensslVerifyMicros: Double?
    var python: PythonReference?
}

struct PythonReference: Codable {
    var library: String
    var opsPerSecond: Double
    var nsPerOp: Double
}

enum Table {
    static func pad(_ s: String, _ n: Int, right: Bool = false) -> String {
        s.count >= n
            ? s
            : (right ? String(repeating: " ", count: n - s.count) + s : s + String(repeating: " ", count: n - s.count))
    }

    static func num(_ v: Double?, _ digits: Int = 0) -> String {
        guard let v else { return "-" }
        return String(format: "%.\(digits)f", v)
    }

    /// One fleet phase's row (times to credentials in ms).
    static func fleetRow(_ p: PhaseResult) -> String {
        guard let s = p.storm else { return "" }
        let ms = { (name: String) -> String in num(p.latencyMicros[name].map { $0 / 1000 }, 1) }
        let cells: [(String, Int)] = [
            (String(s.clients), 8), (String(s.clientsWithCredentials), 7),
            (s.secondsUntilAll.map { num($0, 1) } ?? "-", 9),
            (ms("p50"), 7), (ms("p99"), 7), (ms("p99.9"), 8), (String(s.attempts), 9),
            (s.stsCalls.map(String.init) ?? "-", 10), (s.stsThrottled.map(String.init) ?? "-", 9),
            (String(s.statuses["503"] ?? 0), 5), (s.serverPeakThreads.map(String.init) ?? "-", 7),
            (num(s.serverCpuMicrosPerClient, 1), 13),
        ]
        var row = pad(p.label + " (" + p.mode + ")", 38)
        for (text, width) in cells { row += " " + pad(text, width, right: true) }
        return row + "\n"
    }

    static func render(_ report: RunReport) -> String {
        var out = "machine: \(report.machine.cores) cores, \(report.machine.cpuModel), Linux \(report.machine.kernel)\n"
        if !report.phases.isEmpty {
            let head = [
                ("scenario", 22), ("server", 9), ("sts", 5), ("mode", 12), ("conns", 5), ("req/s", 9),
                ("p50us", 8), ("p90us", 8), ("p99us", 8), ("p99.9us", 8), ("maxus", 8), ("non2xx", 7),
                ("err", 4), ("cpu us/req", 10), ("peakRSS", 8),
            ]
            out +=
                head.map {
                    pad($0.0, $0.1, right: $0.0 != "scenario" && $0.0 != "server" && $0.0 != "sts" && $0.0 != "mode")
                }
                .joined(separator: " ") + "\n"
            for p in report.phases {
                let non2xx = p.statuses.filter { !$0.key.hasPrefix("2") }.values.reduce(0, +)
                let l = p.latencyMicros
                let cells: [(String, Int, Bool)] = [
                    (p.label, 22, false), (p.server, 9, false), (p.sts, 5, false), (p.mode, 12, false),
                    (String(p.connections), 5, true), (num(p.requestsPerSecond), 9, true),
                    (num(l["p50"]), 8, true), (num(l["p90"]), 8, true), (num(l["p99"]), 8, true),
                    (num(l["p99.9"]), 8, true), (num(l["max"]), 8, true), (String(non2xx), 7, true),
                    (String(p.errors), 4, true), (num(p.serverCpuMicrosPerRequest, 1), 10, true),
                    (p.serverPeakRssMiB.map { num($0, 1) + "M" } ?? "-", 8, true),
                ]
                out += cells.map { pad($0.0, $0.1, right: $0.2) }.joined(separator: " ") + "\n"
            }
        }
        let fleets = report.phases.filter { $0.storm != nil }
        if !fleets.isEmpty {
            out +=
                "\nfleet (new clients, Poisson arrivals)   clients  served  all by s  p50 ms  p99 ms p99.9 ms  requests  STS calls throttled  503s threads cpu us/client\n"
            for p in fleets { out += fleetRow(p) }
        }
        if let m = report.micro {
            out += "\nmicro (in-process, one thread)            ns/op        ops/s\n"
            for r in m.rows {
                out +=
                    pad(r.name, 38) + pad(num(r.nsPerOp), 11, right: true) + pad(num(r.opsPerSecond), 13, right: true)
                    + "\n"
            }
            if let v = m.opensslVerifyMicros {
                out +=
                    pad("openssl speed rsa2048 verify", 38) + pad(num(v * 1000), 11, right: true)
                    + pad(num(1e6 / v), 13, right: true) + "\n"
            }
            if let py = m.python {
                out +=
                    pad("python reference (\(py.library))", 38) + pad(num(py.nsPerOp), 11, right: true)
                    + pad(num(py.opsPerSecond), 13, right: true) + "\n"
            }
        }
        if !report.checks.isEmpty {
            out += "\ntargets:\n"
            for k in report.checks.keys.sorted() { out += "  \(k): \(report.checks[k]!)\n" }
        }
        return out
    }
}
