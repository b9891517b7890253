import CredVend
import CredVendCore
import CredVendCrypto
import CredVendHTTP
import CredVendStore
import CredVendSync
import Foundation
import Glibc

// credvend-load: the load driver, micro benchmarks and STS stub of load-tests/run.
// Every load phase targets 127.0.0.1 only and is bounded in time and in count.

struct Args {
    var values: [String: String] = [:]
    var positional: [String] = []

    init(_ argv: ArraySlice<String>) {
        var it = argv.makeIterator()
        while let a = it.next() {
            if a.hasPrefix("--") {
                let name = String(a.dropFirst(2))
                if let eq = name.firstIndex(of: "=") {
                    values[String(name[..<eq])] = String(name[name.index(after: eq)...])
                } else {
                    values[name] = it.next() ?? ""
                }
            } else {
                positional.append(a)
            }
        }
    }

    func string(_ name: String, _ fallback: String? = nil) -> String {
        guard let v = values[name] ?? fallback else { fail("missing --\(name)") }
        return v
    }
    func int(_ name: String, _ fallback: Int) -> Int { values[name].flatMap { Int($0) } ?? fallback }
    func double(_ name: String, _ fallback: Double) -> Double { values[name].flatMap { Double($0) } ?? fallback }
    func optionalDouble(_ name: String) -> Double? { values[name].flatMap { Double($0) } }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("credvend-load: \(message)\n".utf8))
    exit(2)
}

func note(_ message: String) { FileHandle.standardError.write(Data("  \(message)\n".utf8)) }

func writeJSON<T: Encodable>(_ value: T, to path: String) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    do { try encoder.encode(value).write(to: URL(fileURLWithPath: path)) } catch {
        fail("cannot write \(path): \(error)")
    }
}

let argv = CommandLine.arguments
guard argv.count >= 2 else {
    fail("usage: credvend-load sts-stub|roles-file|micro|drive|storm|table [--options]")
}
let args = Args(argv.dropFirst(2))

switch argv[1] {
case "sts-stub":
    let port = args.int("port", 0)
    let server = HTTPServer(
        configuration: HTTPServerConfiguration(listen: .tcp(host: "127.0.0.1", port: port), threadPoolSize: 2),
        handler: STSStub(
            STSStub.Behaviour(
                latency: args.double("latency-ms", 0) / 1000,
                jitter: args.double("jitter-ms", 0) / 1000,
                rate: args.double("rate", 0),
                burst: args.double("burst", max(1, args.double("rate", 0) / 10))
            )
        )
    )
    do { try server.start() } catch { fail("sts-stub: \(error)") }
    FileHandle.standardError.write(Data("listening on 127.0.0.1:\(server.boundPort ?? 0)\n".utf8))
    waitForStopSignal()
    server.stop(gracePeriod: .seconds(1))

case "roles-file":
    // The role records load runs seed: `--hot N` clients lc000001.., `--cold M` clients cold000001..
    var lines: [String] = []
    func record(_ id: String) -> String {
        RoleMappingJSON.encode(
            RoleMapping(
                clientId: id,
                roleArn: "arn:aws:iam::123456789012:role/load-\(id)",
                serverName: id,
                bucket: "load-bucket",
                s3PathPrefix: "backups/\(id)/"
            )
        )
    }
    for i in 1...max(1, args.int("hot", 10_000)) { lines.append(record(ClientIds.hot(i))) }
    let cold = args.int("cold", 0)
    if cold > 0 { for i in 1...cold { lines.append(record(ClientIds.cold(i))) } }
    do {
        try ("[\n" + lines.joined(separator: ",\n") + "\n]\n").write(
            toFile: args.string("out"),
            atomically: true,
            encoding: .utf8
        )
    } catch { fail("roles-file: \(error)") }

case "micro":
    do {
        let factory = try TokenFactory(keyPath: args.string("key"), issuer: args.string("issuer"))
        let bench = MicroBench(
            factory: factory,
            workDir: args.string("work"),
            seconds: args.double("seconds", 1),
            only: args.values["only"]
        )
        let profiling = args.values["only"] != nil
        if !profiling { note("5 rounds, each: openssl speed -seconds 1 rsa2048, then every benchmark ...") }
        var openssl: Double?
        let rows = try bench.run(freshTokens: args.int("fresh", 3000)) { _ in
            guard !profiling, let v = opensslVerifyMicros() else { return }
            openssl = min(openssl ?? .infinity, v)
        }
        var python: PythonReference?
        if let script = args.values["python"], !profiling {
            note("python reference (joserfc + botocore SigV4Auth) ...")
            let token = try factory.token(clientId: ClientIds.hot(1))
            let jwks = JWKSet.document([try factory.minter.signer.publicJWK()])
            let tokenFile = args.string("work") + "/python-token.txt"
            let jwksFile = args.string("work") + "/python-jwks.json"
            try token.write(toFile: tokenFile, atomically: true, encoding: .utf8)
            try jwks.write(toFile: jwksFile, atomically: true, encoding: .utf8)
            if let out = runCapture(
                "/usr/bin/env",
                [
                    "python3", script, "--token", tokenFile, "--jwks", jwksFile,
                    "--issuer", factory.issuer, "--seconds", String(args.double("seconds", 1) * 2),
                ]
            ),
                let data = out.split(separator: "\n").last.map({ Data($0.utf8) })
            {
                python = try? JSONDecoder().decode(PythonReference.self, from: data)
            }
            if python == nil { note("python reference did not run (python3 with joserfc and botocore needed)") }
        }
        let report = MicroReport(rows: rows, opensslVerifyMicros: openssl, python: python)
        writeJSON(report, to: args.string("out"))
        print(Table.render(RunReport(machine: .current(), startedAt: "", command: "", phases: [], micro: report)))
    } catch { fail("micro: \(error)") }

case "drive":
    do { try Drive(args: args).run() } catch { fail("drive: \(error)") }

case "storm":
    do { try Storm(args: args).run() } catch { fail("storm: \(error)") }

case "table":
    // Merges the phase and micro JSON files of one run into report.json and prints the table.
    let dir = args.string("dir")
    let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
    var phases: [PhaseResult] = []
    var micro: MicroReport?
    for f in files where f.hasSuffix(".json") && f != "report.json" {
        guard let data = FileManager.default.contents(atPath: dir + "/" + f) else { continue }
        if f.hasPrefix("micro") {
            micro = try? JSONDecoder().decode(MicroReport.self, from: data)
        } else if let p = try? JSONDecoder().decode(PhaseResult.self, from: data) {
            phases.append(p)
        }
    }
    var report = RunReport(
        machine: .current(),
        startedAt: args.string("started", ""),
        command: args.string("command", ""),
        phases: phases,
        micro: micro
    )
    report.checks = Targets.evaluate(report)
    writeJSON(report, to: dir + "/report.json")
    print(Table.render(report))

default:
    fail("unknown command \(argv[1])")
}
