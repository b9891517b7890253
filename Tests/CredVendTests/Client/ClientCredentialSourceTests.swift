import Foundation
import Logging
import Testing

@testable import CredVend
@testable import CredVendCore
@testable import CredVendSync
@testable import CredVendSystem

/// The IdP and the vending API in-process: answers scripted per URL, every request recorded.
final class FakeClientNetwork: Sendable {
    struct State {
        var requests: [HTTPClientRequest] = []
        var tokenAnswers: [Result<HTTPClientResponse, CurlError>] = []
        var vendAnswers: [Result<HTTPClientResponse, CurlError>] = []
        var tokens = 0
        var tokenTTL = 86_400
        var credentialTTL: TimeInterval = 3600
    }
    let state = Locked(State())
    let clock: Locked<Date>

    init(now: Date) { clock = Locked(now) }

    var now: Date { clock.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { clock.withLock { $0 = $0.addingTimeInterval(seconds) } }
    var requestURLs: [String] { state.withLock { $0.requests.map(\.url) } }

    func send(_ request: HTTPClientRequest) throws(CurlError) -> HTTPClientResponse {
        let now = self.now
        let answer: Result<HTTPClientResponse, CurlError> = state.withLock { s in
            s.requests.append(request)
            if request.url.hasSuffix("/oauth2/token") || request.url.hasSuffix("/oauth/token") {
                if !s.tokenAnswers.isEmpty { return s.tokenAnswers.removeFirst() }
                s.tokens += 1
                let body =
                    "{\"access_token\":\"tok-\(s.tokens)\",\"token_type\":\"Bearer\",\"expires_in\":\(s.tokenTTL)}"
                return .success(HTTPClientResponse(status: 200, body: Array(body.utf8)))
            }
            if !s.vendAnswers.isEmpty { return s.vendAnswers.removeFirst() }
            let token = (try? JSONParser.parse(request.body))?["access_token"]?.stringValue ?? "?"
            let c = AWSCredentials(
                accessKeyId: "ASIA\(s.requests.count)",
                secretAccessKey: "secret-for-\(token)",
                sessionToken: "session",
                expiration: now.addingTimeInterval(s.credentialTTL)
            )
            return .success(HTTPClientResponse(status: 200, body: CredentialProcessOutput.render(c)))
        }
        return try answer.get()
    }
}

final class SleepLog: Sendable {
    let slept = Locked<[Duration]>([])
    var count: Int { slept.withLock { $0.count } }
}

@Suite struct ClientCredentialSourceTests {
    static let settings = ClientSettings(
        idpType: .cognito,
        domain: "https://idp.example.com",
        clientId: "client-a",
        clientSecret: "client-secret-value",
        scope: "credvend/write",
        credentialAPIURL: "https://vend.example.com/v1/credentials"
    )
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    let logger = Logger(label: "test")

    func make(
        _ net: FakeClientNetwork,
        dir: TemporaryDirectory?,
        settings: ClientSettings = settings,
        webIdentity: @escaping ClientCredentialSource.WebIdentity = { _, _ in .failure(.network("unused")) },
        sleeps: SleepLog = SleepLog(),
        unitRandom: @escaping @Sendable () -> Double = { 0 }
    ) -> ClientCredentialSource {
        ClientCredentialSource(
            settings: settings,
            cache: dir.flatMap { ClientCacheStore.open(directory: $0.file("cache"), logger: logger) },
            transport: { r throws(CurlError) in try net.send(r) },
            webIdentity: webIdentity,
            clock: { net.now },
            sleep: { d in sleeps.slept.withLock { $0.append(d) } },
            unitRandom: unitRandom,
            logger: logger
        )
    }

    @Test func cognitoFlowThenCacheHitsWithoutNetwork() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let net = FakeClientNetwork(now: t0)
        let first = try make(net, dir: dir).credentials()
        #expect(first.credentials.secretAccessKey == "secret-for-tok-1")
        #expect(net.requestURLs == ["https://idp.example.com/oauth2/token", "https://vend.example.com/v1/credentials"])
        // A new process (new source) within the window: no request at all.
        net.advance(2699)
        #expect(try make(net, dir: dir).credentials() == first)
        #expect(net.requestURLs.count == 2)
        // Past the window: new credentials, the cached token (24 h) reused.
        net.advance(2)
        let second = try make(net, dir: dir).credentials()
        #expect(second.credentials.accessKeyId != first.credentials.accessKeyId)
        #expect(second.credentials.secretAccessKey == "secret-for-tok-1")
        #expect(net.requestURLs.count == 3)
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.file("cache")) {
            let mode =
                try FileManager.default.attributesOfItem(atPath: dir.file("cache/\(name)"))[.posixPermissions] as? Int
            #expect(mode == 0o600)
        }
    }

    @Test func fourteenMinuteCredentialsAreReusedForSevenMinutes() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let net = FakeClientNetwork(now: t0)
        net.state.withLock { $0.credentialTTL = 840 }
        let first = try make(net, dir: dir).credentials()
        net.advance(419)
        #expect(try make(net, dir: dir).credentials() == first)
        net.advance(1)
        #expect(try make(net, dir: dir).credentials() != first)
    }

    @Test func forceRefreshSkipsTheCredentialCacheButNotTheToken() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let net = FakeClientNetwork(now: t0)
        let source = make(net, dir: dir)
        let a = try source.credentials()
        let b = try source.credentials(forceRefresh: true)
        #expect(a != b)
        #expect(net.state.withLock { $0.tokens } == 1)
    }

    @Test func aRefusedCachedTokenIsReplacedOnce() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let net = FakeClientNetwork(now: t0)
        _ = try make(net, dir: dir).token()
        let refused = HTTPClientResponse(
            status: 401,
            body: Array(#"{"error":"invalid_token","message":"signature"}"#.utf8)
        )
        net.state.withLock { $0.vendAnswers = [.success(refused)] }
        let c = try make(net, dir: dir).credentials()
        #expect(c.credentials.secretAccessKey == "secret-for-tok-2")
        // A fresh token that is refused is an error, not a loop.
        net.state.withLock { $0.vendAnswers = [.success(refused), .success(refused)] }
        #expect(throws: ClientError.self) { try make(net, dir: nil).credentials() }
        #expect(net.state.withLock { $0.vendAnswers.count } == 1)
    }

    @Test func retryAfterOfA503OrA429IsWaitedAtLeast() throws {
        let net = FakeClientNetwork(now: t0)
        let sleeps = SleepLog()
        var busy = HTTPHeaders()
        busy.add("retry-after", "7")
        var limited = HTTPHeaders()
        limited.add("retry-after", "600")
        net.state.withLock {
            $0.vendAnswers = [
                .success(HTTPClientResponse(status: 503, headers: busy)),
                .success(HTTPClientResponse(status: 429, headers: limited)),
            ]
        }
        #expect(try make(net, dir: nil, sleeps: sleeps).credentials().credentials.accessKeyId.hasPrefix("ASIA"))
        let slept = sleeps.slept.withLock { $0 }
        #expect(slept.count == 2)
        #expect(slept.first.map { $0 >= .seconds(7) } == true)
        // A long Retry-After is capped at 60 s: a credential_process caller is waiting.
        #expect(slept.last.map { $0 >= .seconds(60) && $0 <= .seconds(61) } == true)
    }

    @Test func retryAfterIsSpreadUpToHalfAgainAndHandedToTheDaemon() throws {
        let net = FakeClientNetwork(now: t0)
        let sleeps = SleepLog()
        var busy = HTTPHeaders()
        busy.add("retry-after", "4")
        let answer = HTTPClientResponse(status: 503, headers: busy)
        net.state.withLock { $0.vendAnswers = [.success(answer), .success(answer), .success(answer)] }
        do throws(ClientError) {
            _ = try make(net, dir: nil, sleeps: sleeps, unitRandom: { 0.5 }).credentials()
            Issue.record("expected a failure")
        } catch {
            #expect(error.retryAfter == 4, "the last answer's Retry-After, for the daemon's next turn")
        }
        #expect(sleeps.slept.withLock { $0 } == [.seconds(5), .seconds(5)])
    }

    @Test func serverErrorsAndNetworkFailuresAreRetriedThreeTimes() throws {
        let net = FakeClientNetwork(now: t0)
        let sleeps = SleepLog()
        net.state.withLock {
            $0.tokenAnswers = [.failure(CurlError(kind: .couldNotConnect, code: 7, message: "Failed to connect"))]
            $0.vendAnswers = [.success(HTTPClientResponse(status: 502, body: []))]
        }
        #expect(try make(net, dir: nil, sleeps: sleeps).credentials().credentials.accessKeyId.hasPrefix("ASIA"))
        #expect(sleeps.count == 2)
        let down = CurlError(kind: .couldNotConnect, code: 7, message: "Failed to connect to idp.example.com port 443")
        net.state.withLock { $0.tokenAnswers = [.failure(down), .failure(down), .failure(down)] }
        do throws(ClientError) {
            _ = try make(net, dir: nil, sleeps: sleeps).credentials()
            Issue.record("expected a failure")
        } catch {
            #expect(error.kind == .network)
            #expect(
                error.message == "cannot reach the token endpoint https://idp.example.com/oauth2/token: "
                    + "Failed to connect to idp.example.com port 443 (after 3 attempts)"
            )
        }
        // A TLS failure is not retried.
        net.state.withLock { $0.tokenAnswers = [.failure(CurlError(kind: .tls, code: 60, message: "certificate"))] }
        #expect(throws: ClientError.self) { try make(net, dir: nil).credentials() }
        #expect(net.state.withLock { $0.tokenAnswers.isEmpty })
    }

    @Test func aFailedRefreshFallsBackToUnexpiredCachedCredentialsOnlyWhenAsked() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let net = FakeClientNetwork(now: t0)
        let first = try make(net, dir: dir).credentials()
        net.advance(3000)  // stale (past 45 min), 10 minutes left
        let denied = HTTPClientResponse(status: 403, body: Array(#"{"error":"access_denied"}"#.utf8))
        net.state.withLock { $0.vendAnswers = [.success(denied), .success(denied)] }
        #expect(try make(net, dir: dir).credentials(fallbackToStale: true) == first)
        #expect(throws: ClientError.self) { try make(net, dir: dir).credentials() }
        net.advance(560)  // 40 s left: not even as a fallback
        net.state.withLock { $0.vendAnswers = [.success(denied)] }
        #expect(throws: ClientError.self) { try make(net, dir: dir).credentials(fallbackToStale: true) }
    }

    @Test func aCorruptCacheFileIsIgnoredAndReplaced() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let net = FakeClientNetwork(now: t0)
        _ = try make(net, dir: dir).credentials()
        let path = dir.file("cache/" + ClientCacheRecord.credentialsFileName(Self.settings))
        try SecretFile.write(Array("{\"version\":1,\"kind\":\"credentials\",\"Acc".utf8), to: path)
        let again = try make(net, dir: dir).credentials()
        #expect(net.requestURLs.count == 3)
        #expect(ClientCacheRecord.decodeCredentials(Array(try Data(contentsOf: URL(fileURLWithPath: path)))) == again)
    }

    @Test func aCacheDirectoryOthersCanWriteIsNotUsed() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try FileManager.default.createDirectory(
            atPath: dir.file("open"),
            withIntermediateDirectories: false,
            attributes: [.posixPermissions: 0o777]
        )
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: dir.file("open"))
        #expect(ClientCacheStore.open(directory: dir.file("open"), logger: logger) == nil)
        #expect(ClientCacheStore.open(directory: dir.file("new/deeper"), logger: logger) != nil)
    }

    @Test func auth0ExchangesTheTokenWithSTSAndRetriesARejectedCachedToken() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let settings = ClientSettings(
            idpType: .auth0,
            domain: "https://tenant.auth0.com",
            clientId: "abc",
            clientSecret: "client-secret-value",
            audience: "https://api",
            roleArn: "arn:aws:iam::123456789012:role/r"
        )
        let net = FakeClientNetwork(now: t0)
        let calls = Locked<[String]>([])
        let sts: ClientCredentialSource.WebIdentity = { s, token in
            calls.withLock { $0.append(token) }
            if token == "tok-1" {
                return .failure(
                    STSError(
                        code: "InvalidIdentityToken",
                        message: "Couldn't retrieve verification key for tok-1",
                        httpStatus: 400
                    )
                )
            }
            return .success(
                AssumedRole(
                    credentials: AWSCredentials(
                        accessKeyId: "ASIAWEB",
                        secretAccessKey: "k",
                        sessionToken: "t",
                        expiration: net.now.addingTimeInterval(3600)
                    ),
                    assumedRoleArn: "arn:aws:sts::123456789012:assumed-role/r/\(s.roleSessionName)"
                )
            )
        }
        _ = try make(net, dir: dir, settings: settings).token()
        let c = try make(net, dir: dir, settings: settings, webIdentity: sts).credentials()
        #expect(c.credentials.accessKeyId == "ASIAWEB")
        #expect(calls.withLock { $0 } == ["tok-1", "tok-2"])
        #expect(net.requestURLs == ["https://tenant.auth0.com/oauth/token", "https://tenant.auth0.com/oauth/token"])

        let denied: ClientCredentialSource.WebIdentity = { _, token in
            .failure(
                STSError(
                    code: "AccessDenied",
                    message: "Not authorized to assume with \(token)",
                    httpStatus: 403,
                    redacting: [token]
                )
            )
        }
        do throws(ClientError) {
            _ = try make(net, dir: nil, settings: settings, webIdentity: denied).credentials()
        } catch {
            #expect(error.kind == .exchange)
            #expect(
                error.message.hasPrefix(
                    "STS AssumeRoleWithWebIdentity for arn:aws:iam::123456789012:role/r at "
                        + "https://sts.us-east-1.amazonaws.com failed: STS AccessDenied (HTTP 403)"
                )
            )
            #expect(!error.message.contains("tok-"))
        }
    }
}
