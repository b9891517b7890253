import CredVend
import CredVendCore
import CredVendCrypto
import CredVendHTTP
import CredVendStore
import CredVendSync
import Foundation
import Glibc
import Logging

/// In-process benchmarks of the hot path (the `micro` scenario), no HTTP:
/// (a) the RS256 check of a 2048-bit token, (b) full validation with claims,
/// (c) SigV4 signing of an AssumeRole request, (d) validate + role lookup +
/// cached credentials through `VendingService` (a new token each time, and one
/// repeated token), (e) what a credential-vending Lambda does per call: validate, look
/// up, sign the AssumeRole request, (f) reading STS's AssumeRole answer, (g) decoding a
/// stored role record (the cold path's two decodes), (h) the credential_process body of an
/// STS answer, (i) a cache miss answered at once.
struct MicroBench {
    struct Row: Codable {
        var name: String
        var nsPerOp: Double
        var opsPerSecond: Double
        var iterations: Int
    }

    let factory: TokenFactory
    let workDir: String
    let seconds: Double
    /// Run only the benchmark of this name (for profiling one path).
    var only: String? = nil

    /// Rounds; the best round of each row is reported, and `openssl speed` runs one round
    /// between ours (`between`), so a disturbed moment on this shared machine costs each row
    /// at most one round, and both sides of a ratio are the same statistic.
    var rounds = 5

    private final class Bench {
        let name: String
        let seconds: Double
        let limit: Int
        let body: (Int) -> Void
        var best: Row?
        var done = 0

        init(name: String, seconds: Double, limit: Int, body: @escaping (Int) -> Void) {
            self.name = name
            self.seconds = seconds
            self.limit = limit
            self.body = body
        }
    }

    private final class Benches { var list: [Bench] = [] }
    private let benches = Benches()

    /// Registers a benchmark; `runRounds` runs it.
    func measure(_ name: String, seconds: Double, limit: Int = .max, _ body: @escaping (Int) -> Void) {
        if let only, only != name { return }
        benches.list.append(Bench(name: name, seconds: seconds, limit: limit, body: body))
    }

    private func runRounds(between: (Int) -> Void) -> [Row] {
        for round in 0..<rounds {
            between(round)
            for b in benches.list {
                let perRound = b.limit == .max ? b.limit : b.limit / rounds
                let offset = b.done
                let row = Self.measure(b.name, seconds: b.seconds / Double(rounds), limit: perRound) {
                    b.body(offset + $0)
                }
                b.done += row.iterations
                if b.best == nil || row.nsPerOp < b.best!.nsPerOp { b.best = row }
            }
        }
        return benches.list.compactMap(\.best)
    }

    static func measure(
        _ name: String,
        seconds: Double,
        minimum: Int = 200,
        limit: Int = .max,
        _ body: (Int) -> Void
    ) -> Row {
        if limit == .max { for i in 0..<50 { body(i) } }  // warm (not with tokens used once: they must stay new)
        var n = 0
        let start = monotonicNanos()
        let stop = start + UInt64(seconds * 1e9)
        while n < limit {
            for _ in 0..<50 where n < limit {
                body(n)
                n += 1
            }
            if n >= minimum && monotonicNanos() >= stop { break }
        }
        let ns = Double(monotonicNanos() - start) / Double(n)
        return Row(name: name, nsPerOp: ns, opsPerSecond: 1e9 / ns, iterations: n)
    }

    func run(freshTokens: Int, between: (Int) -> Void = { _ in }) throws -> [Row] {
        let clientId = ClientIds.hot(1)
        let now = Date()
        // Keys, verifier, role store, caches: the server's own objects.
        let jwk = try factory.minter.signer.publicJWK()
        let jwksPath = workDir + "/micro-jwks.json"
        try JWKSet.document([jwk]).write(toFile: jwksPath, atomically: true, encoding: .utf8)
        let logger = Logger(label: "micro") { _ in SwiftLogNoOpLogHandler() }
        let http = CurlHTTPClient()
        let jwks = JWKSCache(source: .file(jwksPath), client: http, logger: logger, metrics: nil)
        guard jwks.refresh(reason: "micro"), let keys = jwks.current?.keys else {
            throw MicroError("JWKS did not load")
        }
        let roles = try RoleStore(directory: workDir + "/micro-db")
        let mapping = RoleMapping(
            clientId: clientId,
            roleArn: "arn:aws:iam::123456789012:role/load-\(clientId)",
            serverName: "server-1",
            bucket: "load-bucket",
            s3PathPrefix: "backups/server-1/"
        )
        try roles.put(mapping)
        let cache = CredentialCache(refreshBuffer: 900)
        let creds = AWSCredentials(
            accessKeyId: "ASIA0000000000000001",
            secretAccessKey: String(repeating: "s", count: 40),
            sessionToken: String(repeating: "A", count: 800),
            expiration: now.addingTimeInterval(3600)
        )
        cache.load(mapping: mapping, now: now, fetch: { .success(creds) }, completion: { _ in })
        let verifier = JWTVerifier(issuer: factory.issuer, clockSkew: 60)
        let source = SourceCredentialsProvider(
            environment: [
                "AWS_ACCESS_KEY_ID": "AKIALOADTEST00000000",
                "AWS_SECRET_ACCESS_KEY": "load-test-secret",
            ],
            client: http,
            logger: logger
        )
        let sts = try STSClient(
            endpoint: "http://127.0.0.1:9",
            region: "us-east-1",
            client: http,
            metrics: nil,
            logger: logger
        )
        let vending = VendingService(
            verifier: verifier,
            jwks: jwks,
            roles: roles,
            cache: cache,
            sts: sts,
            source: source,
            metrics: ServerMetrics(),
            logger: logger
        )
        let builder = AssumeRoleRequestBuilder(
            endpoint: try AWSEndpoint.regional(service: "sts", region: "us-east-1"),
            region: "us-east-1"
        )
        let sourceCreds = AWSCredentials(accessKeyId: "AKIALOADTEST00000000", secretAccessKey: "load-test-secret")

        let token = try factory.token(clientId: clientId)
        let tokenBytes = Array(token.utf8)
        let lastDot = tokenBytes.lastIndex(of: UInt8(ascii: "."))!
        let signingInput = Array(tokenBytes[..<lastDot])
        let signature = Base64URL.decode(bytes: tokenBytes[(lastDot + 1)...])!
        let key = keys.entries.values.first!.key
        let body = Array("{\"access_token\": \"\(token)\"}".utf8)
        FileHandle.standardError.write(Data("micro: minting \(freshTokens) fresh tokens\n".utf8))
        let fresh = TokenFactory.mint(count: only == nil || only == "d_vend_new_token" ? freshTokens : 1) {
            [factory] _ in try factory.token(clientId: clientId)
        }
        .map { Array("{\"access_token\": \"\($0)\"}".utf8) }

        var sink = 0
        measure("a_rs256_verify", seconds: seconds) { _ in
            sink &+= key.verify(.RS256, message: signingInput, signature: signature) ? 1 : 0
        }
        measure("b_validate_claims", seconds: seconds) { _ in
            sink &+= ((try? verifier.verify(tokenBytes: tokenBytes, keys: keys, now: Date())) != nil) ? 1 : 0
        }
        let parameters = AssumeRoleParameters(mapping: mapping)
        measure("c_sigv4_assume_role", seconds: seconds) { _ in
            sink &+= try! builder.assumeRole(parameters, credentials: sourceCreds, date: Date()).body.count
        }
        // The cold path's two decodes beside the signing: STS's AssumeRole answer (the stub's,
        // an 800-byte session token) and the stored role record RoleStore.get reads.
        let stsAnswer = Array(
            ("<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult>"
                + "<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/load-\(clientId)/credvend-x</Arn>"
                + "<AssumedRoleId>AROALOADTEST:credvend-x</AssumedRoleId></AssumedRoleUser>"
                + "<Credentials><AccessKeyId>ASIA0000000000000001</AccessKeyId>"
                + "<SecretAccessKey>\(String(repeating: "s", count: 40))</SecretAccessKey>"
                + "<SessionToken>IQoJb3JpZ2luX2VjE\(String(repeating: "A", count: 783))</SessionToken>"
                + "<Expiration>2026-12-01T20:00:00Z</Expiration></Credentials></AssumeRoleResult>"
                + "<ResponseMetadata><RequestId>load-1</RequestId></ResponseMetadata></AssumeRoleResponse>").utf8
        )
        measure("f_sts_parse_assume_role", seconds: seconds) { _ in
            sink &+= try! STSResponseParser.parse(stsAnswer, httpStatus: 200, action: .assumeRole).assumedRoleArn.utf8
                .count
        }
        let storedRecord = Data(RoleMappingJSON.encode(mapping).utf8)
        measure("g_role_record_decode", seconds: seconds) { _ in
            sink &+= try! RoleMappingJSON.decode(storedRecord).sessionDurationSeconds
        }
        // The STS loop thread's own work per answer: the cached body of those credentials,
        // and the single flight every miss goes through.
        let answered = try STSResponseParser.parse(stsAnswer, httpStatus: 200, action: .assumeRole).credentials
        measure("h_credential_process_render", seconds: seconds) { _ in
            sink &+= CredentialProcessOutput.render(answered).count
        }
        // A miss answered at once: the lookups, the single flight and the entry kept (its body
        // rendered), all inside CredVend, specialized as the server runs them.
        let answeredAt = answered.expiration!.addingTimeInterval(-3600)  // an hour before it expires
        let missCache = CredentialCache(refreshBuffer: 900)
        measure("i_cache_miss_load", seconds: seconds) { _ in
            missCache.invalidate(clientId: mapping.clientId)
            missCache.load(
                mapping: mapping,
                now: answeredAt,
                startFetch: { done in done(.success(answered)) },
                completion: { _ in }
            )
        }
        measure("d_vend_new_token", seconds: seconds, limit: fresh.count) { i in
            if case .now(let o) = vending.vend(body: fresh[i], authorization: nil) { sink &+= o.response.status }
        }
        measure("d_vend_repeated_token", seconds: seconds) { _ in
            if case .now(let o) = vending.vend(body: body, authorization: nil) { sink &+= o.response.status }
        }
        measure("e_lambda_path_validate_lookup_sign", seconds: seconds) { _ in
            guard let v = try? verifier.verify(tokenBytes: tokenBytes, keys: keys, now: Date()),
                let m = try? roles.get(v.clientId)
            else { return }
            sink &+= try! builder.assumeRole(AssumeRoleParameters(mapping: m), credentials: sourceCreds, date: Date())
                .body.count
        }
        let rows = runRounds(between: between)
        if sink == 42 { print("") }
        // Every path must have succeeded, or the numbers mean nothing.
        guard case .now(let check) = vending.vend(body: body, authorization: nil), check.response.status == 200 else {
            throw MicroError("the vending path did not answer 200; the benchmark is invalid")
        }
        if only == nil || only == "i_cache_miss_load", missCache.fresh(mapping: mapping, now: answeredAt) == nil {
            throw MicroError("the cache miss kept no entry; the benchmark is invalid")
        }
        return rows
    }
}

struct MicroError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// One `openssl speed -seconds 1 rsa2048`: the machine's own RSA-2048 verify time in µs.
func opensslVerifyMicros(seconds: Int = 1) -> Double? {
    guard let out = runCapture("/usr/bin/env", ["openssl", "speed", "-seconds", "\(seconds)", "rsa2048"]) else {
        return nil
    }
    for line in out.split(separator: "\n") where line.hasPrefix("rsa 2048 bits") {
        let fields = line.split(separator: " ").filter { !$0.isEmpty }
        // rsa 2048 bits <sign s> <verify s> <sign/s> <verify/s>
        if fields.count >= 7, let verifyPerSec = Double(fields[6]) { return 1e6 / verifyPerSec }
    }
    return nil
}

func runCapture(_ path: String, _ args: [String], environment: [String: String]? = nil) -> String? {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    if let environment { p.environment = environment }
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = FileHandle(forWritingAtPath: "/dev/null")
    do { try p.run() } catch { return nil }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return p.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
}
