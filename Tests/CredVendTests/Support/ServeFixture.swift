import CredVendCrypto
import CredVendStore
import CredVendTesting
import Foundation
import Logging

@testable import CredVend
@testable import CredVendCore

/// `credvend serve`'s services wired in-process, like hummingbird's `.router` test mode:
/// a FakeSTS that checks signatures, a FakeJWKS, a fixed clock, a real role store in a
/// temporary directory, and captured logs. No sockets: each request takes milliseconds.
final class ServeFixture {
    static let clientId = "3n4b5c6d7e8f9g0h1i2j3k4l5m"

    let clock = FixedClock()
    let issuer = FakeJWKS()
    let sts: FakeSTS
    let logs = LogCapture()
    let metrics = ServerMetrics()
    let directory = TempDir()
    let roles: RoleStore
    let jwks: JWKSCache
    let vending: VendingService
    let app: ServeApplication
    let refusals: RefusalMemory
    let pool: STSCallPool

    /// - Parameters:
    ///   - source: what credvend signs STS calls with; the FakeSTS accepts only its own.
    ///   - loadKeys: whether the JWKS is fetched before the first request.
    ///   - auditPath: keep an audit log there (`/dev/full`: an audit log whose every write fails).
    ///   - stsPool, retryAfterJitter: the STS pool's sizes, and the random value of its
    ///     `Retry-After` (0: the shortest wait).
    ///   - refusalJitter: the refusal memory's random value; 1 makes each wait its whole
    ///     step (5 s, 10 s, 20 s, ...).
    init(
        source: AWSCredentials? = FakeSTS.sourceCredentials,
        loadKeys: Bool = true,
        requiredScopes: [String] = ["credvend/vend"],
        auditPath: String? = nil,
        auditRequired: Bool = false,
        refusalJitter: Double = 1,
        requireBoundTokens: Bool = false,
        rolesRefusal: (@Sendable () -> String?)? = nil,
        stsPool: STSCallPool.Settings = .default,
        retryAfterJitter: Double = 0
    ) throws {
        let logger = logs.logger()
        sts = FakeSTS(clock: clock)
        roles = try RoleStore(directory: directory.sub("db"))
        _ = try roles.put(RoleMapping(clientId: Self.clientId, roleArn: "arn:aws:iam::123456789012:role/first"))
        jwks = JWKSCache(source: .url(issuer.url), client: issuer, logger: logger, metrics: metrics, clock: clock)
        if loadKeys { jwks.refresh(reason: "test start") }
        let stsClient = try STSClient(
            endpoint: sts.endpoint,
            region: sts.region,
            client: sts,
            retry: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(1), maxDelay: .milliseconds(2)),
            metrics: metrics,
            logger: logger,
            clock: clock
        )
        let audit = try auditPath.map { [metrics] path throws(ConfigurationError) in
            path == "/dev/full"
                ? AuditLog(path: path, sink: FullDisk(), metrics: metrics, logger: logger)
                : try AuditLog(path: path, metrics: metrics, logger: logger)
        }
        refusals = RefusalMemory(unitRandom: { refusalJitter })
        pool = STSCallPool(stsPool, metrics: metrics, logger: logger, unitRandom: { retryAfterJitter })
        vending = VendingService(
            verifier: JWTVerifier(issuer: TestKeys.issuer, requiredScopes: requiredScopes),
            jwks: jwks,
            roles: roles,
            cache: CredentialCache(refreshBuffer: 900, clock: clock),
            sts: stsClient,
            pool: pool,
            source: SourceCredentialsProvider(fixed: source, logger: logger),
            metrics: metrics,
            logger: logger,
            tokenIdentifier: audit == nil ? nil : try AuditTokenIdentifier(key: Array(repeating: 7, count: 32)),
            refusals: refusals,
            requireBoundTokens: requireBoundTokens,
            clock: clock,
            rolesRefusal: rolesRefusal
        )
        app = ServeApplication(
            vending: vending,
            readiness: { [] },
            metrics: metrics,
            logger: logger,
            audit: audit,
            auditRequired: auditRequired,
            clock: clock
        )
    }

    /// An access token for `clientId`, issued now by the fixed clock.
    func token(
        clientId: String = clientId,
        scopes: [String] = ["credvend/vend"],
        ttl: TimeInterval = 3600,
        signer: JWTSigner = TestKeys.rsaSigner,
        kid: String? = nil
    ) -> String {
        TestKeys.accessToken(
            clientId: clientId,
            scopes: scopes,
            issuedAt: clock.now(),
            ttl: ttl,
            signer: signer,
            kid: kid
        )
    }

    /// `POST /v1/credentials` with the token in the JSON body.
    func post(_ token: String) -> HTTPRequest {
        HTTPRequest(
            method: "POST",
            path: "/v1/credentials",
            headers: ["Content-Type": "application/json"],
            body: Array("{\"access_token\":\"\(token)\"}".utf8),
            remoteAddress: "127.0.0.1:50000"
        )
    }

    /// The whole answer to `POST /v1/credentials` for `token`, through the application.
    func vend(_ token: String) async -> HTTPResponse { await respond(app, to: post(token)) }

    /// Calls the vending service directly; `deferred` tells whether it needed a thread hop.
    func vendDirectly(_ token: String) async throws -> (outcome: VendOutcome, deferred: Bool) {
        switch vending.vend(body: Array("{\"access_token\":\"\(token)\"}".utf8), authorization: nil) {
        case .now(let outcome): return (outcome, false)
        case .later(let work): return (try await blocking { work() }, true)
        }
    }

    /// Changes (or adds) a client's role mapping, as `credvend roles put` does.
    func map(
        _ clientId: String = clientId,
        to roleArn: String,
        sessionDurationSeconds: Int = RoleMapping.defaultSessionDuration,
        bucket: String? = nil,
        s3PathPrefix: String? = nil
    ) throws {
        _ = try roles.put(
            RoleMapping(
                clientId: clientId,
                roleArn: roleArn,
                bucket: bucket,
                s3PathPrefix: s3PathPrefix,
                sessionDurationSeconds: sessionDurationSeconds
            )
        )
    }
}

extension HTTPResponse {
    /// The credentials of a 200 answer.
    var credentials: AWSCredentials? { CredentialProcessOutput.parse(body) }
    /// `error` of an error body.
    var errorCode: String? {
        ((try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any])?["error"] as? String
    }
}

/// An audit sink on a full disk: every write fails, as write(2) does with ENOSPC.
private struct FullDisk: AuditSink {
    func write(_ bytes: [UInt8]) -> String? { "No space left on device" }
}
