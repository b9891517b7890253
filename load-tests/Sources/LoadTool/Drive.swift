import CredVend
import CredVendCore
import CredVendCrypto
import CredVendHTTP
import CredVendStore
import CredVendSync
import Foundation
import Glibc

/// One scenario phase against a running server (load-tests/README.md): builds its requests,
/// warms what the scenario says is warm, drives load, samples the server.
struct Drive {
    let args: Args

    func run() throws {
        let scenario = args.string("scenario")
        let port = UInt16(args.int("port", 0))
        let connections = args.int("connections", 64)
        let threads = args.int("threads", 2)
        let duration = args.double("duration", 10)
        let rate = args.optionalDouble("rate")
        let window = args.optionalDouble("window")
        let clients = args.int("clients", 1000)
        let budget = args.int("budget", 60_000)
        let pid = Int32(args.int("server-pid", 0))
        let factory = try TokenFactory(keyPath: args.string("key"), issuer: args.string("issuer"))
        let label = args.string("label", scenario + (rate.map { "@\(Int($0))" } ?? ""))

        var warm: [[UInt8]] = []
        var measured: [[UInt8]] = []
        var unique = false
        let mintStart = monotonicNanos()
        switch scenario {
        case "hot", "ref":
            // Valid tokens of `clients` clients, each sent many times; credentials cached by a warm pass.
            let n = scenario == "ref" ? 1 : clients
            let tokens = TokenFactory.mint(count: n) { i in try factory.token(clientId: ClientIds.hot(i + 1)) }
            measured = tokens.map { credentialRequest(port: port, token: $0) }
            warm = scenario == "hot" ? measured : []
        case "fresh":
            // Every request a token never seen before, for clients whose credentials are cached.
            let warmTokens = TokenFactory.mint(count: clients) { i in try factory.token(clientId: ClientIds.hot(i + 1))
            }
            warm = warmTokens.map { credentialRequest(port: port, token: $0) }
            note("minting \(budget) fresh tokens")
            measured = TokenFactory.mint(count: budget) { i in
                try factory.token(clientId: ClientIds.hot(i % clients + 1))
            }
            .map { credentialRequest(port: port, token: $0) }
            unique = true
        case "cold":
            // Every request a client not asked for before: an STS call each.
            measured = TokenFactory.mint(count: budget) { i in try factory.token(clientId: ClientIds.cold(i + 1)) }
                .map { credentialRequest(port: port, token: $0) }
            unique = true
        case "reject":
            // Bad signatures, expired tokens, forged kids (each kind a third), repeated.
            let per = max(1, args.int("pool", 300))
            let tokens = TokenFactory.mint(count: 3 * per) { i in
                let id = ClientIds.hot(i % per + 1)
                switch i % 3 {
                case 0:  // valid except for the last signature byte
                    var t = Array(try factory.token(clientId: id).utf8)
                    let last = t.count - 2  // keep the final char's unused bits zero: change the one before
                    t[last] = t[last] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
                    return String(decoding: t, as: UTF8.self)
                case 1: return try factory.token(clientId: id, ttl: 600, issuedAt: wallSeconds() - 7200)
                default: return try factory.token(clientId: id, kid: "forged-\(i)")
                }
            }
            measured = tokens.map { credentialRequest(port: port, token: $0) }
        default:
            throw MicroError("unknown scenario \(scenario)")
        }
        note(
            String(
                format: "%@: %d requests built in %.1f s",
                label,
                measured.count + warm.count,
                Double(monotonicNanos() - mintStart) / 1e9
            )
        )

        if !warm.isEmpty {
            let w = HTTPLoad.run(
                LoadPlan(
                    port: port,
                    connections: min(connections, 64),
                    threads: threads,
                    duration: 300,
                    rate: nil,
                    record: true
                ),
                requests: RequestSet(messages: warm, unique: true)
            )
            let ok = w.statuses[200] ?? 0
            note(String(format: "warm-up: %d requests in %.1f s, %d answered 200", w.completed, w.elapsedSeconds, ok))
            guard ok == warm.count else {
                throw MicroError("warm-up: only \(ok) of \(warm.count) answered 200: \(w.statuses)")
            }
        }

        if let mark = args.values["mark"] {  // the measured phase starts: for --perf and the hostile attackers
            FileManager.default.createFile(atPath: mark, contents: Data(String(duration).utf8))
        }
        let before = pid > 0 ? ProcSample.read(pid: pid) : nil
        let sampler = pid > 0 ? RSSSampler(pid: pid) : nil
        sampler?.start()
        let result = HTTPLoad.run(
            LoadPlan(
                port: port,
                connections: connections,
                threads: threads,
                duration: duration,
                rate: rate,
                record: true,
                windowSeconds: window
            ),
            requests: RequestSet(messages: measured, unique: unique)
        )
        let series = sampler?.finish()
        let after = pid > 0 ? ProcSample.read(pid: pid) : nil

        var phase = PhaseResult(
            scenario: scenario,
            label: label,
            server: args.string("server", scenario == "ref" ? "C-MHD" : "credvend"),
            sts: args.string("sts", "-"),
            mode: rate == nil ? "closed" : "open@\(Int(rate!))",
            targetRate: rate,
            connections: connections,
            threads: threads,
            seconds: result.elapsedSeconds,
            requests: result.completed,
            requestsPerSecond: Double(result.completed) / result.elapsedSeconds,
            latencyMicros: PhaseResult.percentiles(result.latency),
            serviceMicros: PhaseResult.percentiles(result.service),
            statuses: Dictionary(uniqueKeysWithValues: result.statuses.map { (String($0.key), $0.value) }),
            errors: result.errors,
            reconnects: result.reconnects,
            responseBodyBytes: result.lastResponseBodyBytes,
            serverPeakRssMiB: after.map { Double($0.peakRssKiB) / 1024 },
            serverRssMiB: after.map { Double($0.rssKiB) / 1024 },
            serverCpuMicrosPerRequest: (before != nil && after != nil && result.completed > 0)
                ? (after!.cpuSeconds - before!.cpuSeconds) * 1e6 / Double(result.completed) : nil,
            rssSeriesMiB: series?.map { [$0[0], $0[1] / 1024] },
            serverRssStartMiB: before.map { Double($0.rssKiB) / 1024 },
            serverFdsStart: before?.openFds,
            serverFdsEnd: after?.openFds,
            fdSeries: series?.map { [$0[0], $0[2]] },
            windowsMicros: window.map { w in
                result.windows.enumerated().map { i, h in
                    [
                        Double(i + 1) * w, Double(h.totalCount), Double(h.valueAtPercentile(50)) / 1000,
                        Double(h.valueAtPercentile(99)) / 1000, Double(h.max) / 1000,
                    ]
                }
            }
        )
        phase.latencyCurveMicros = PhaseResult.curve(result.latency)
        phase.notes["request_bytes"] = String(measured.first?.count ?? 0)
        if let before, let after, result.completed > 0 {
            phase.notes["server_context_switches_per_request"] = String(
                format: "%.2f",
                Double(after.contextSwitches - before.contextSwitches) / Double(result.completed)
            )
        }
        phase.notes["server_stderr"] = args.string("server-log", "file")
        if unique && result.completed >= measured.count - connections {
            phase.notes["ended"] =
                "pre-minted requests used up after \(String(format: "%.1f", result.elapsedSeconds)) s"
        }
        writeJSON(phase, to: args.string("out"))
        print(
            String(
                format: "%@: %.0f req/s, p50 %.0f us, p99 %.0f us, p99.9 %.0f us, statuses %@, errors %d",
                label,
                phase.requestsPerSecond,
                phase.latencyMicros["p50"] ?? 0,
                phase.latencyMicros["p99"] ?? 0,
                phase.latencyMicros["p99.9"] ?? 0,
                "\(result.statuses)",
                result.errors
            )
        )
    }
}
