import CredVendTesting
import Foundation
import Logging
import Testing

@testable import CredVend
@testable import CredVendCore
@testable import CredVendSync

/// The credential-daemon's refresh timing against the vending server's own credential
/// cache: each planned refresh must find new credentials, not the same ones back from the
/// server's cache (one wasted refresh per cycle). The network takes time in both
/// directions, STS hands out expiries with a fraction of a second, and the vending API
/// writes them in whole seconds, as in production.
@Suite struct RefreshAgreementTests {
    static let settings = ClientCredentialSourceTests.settings

    /// The vending server in-process: `CredentialCache` in front of an STS that issues
    /// `session`-second credentials; each request takes `latency` each way and STS `stsTime`.
    final class Network: Sendable {
        let clock = FixedClock(Date(timeIntervalSince1970: 1_800_000_000))
        let cache = CredentialCache(refreshBuffer: 900)
        let stsCalls = Locked(0)
        let session: Int
        let latency: TimeInterval = 0.3
        let stsTime: TimeInterval = 0.2

        init(session: Int) { self.session = session }

        func send(_ request: HTTPClientRequest) throws(CurlError) -> HTTPClientResponse {
            if request.url.hasSuffix("/oauth2/token") {
                let body = #"{"access_token":"tok","token_type":"Bearer","expires_in":86400}"#
                return HTTPClientResponse(status: 200, body: Array(body.utf8))
            }
            clock.advance(by: latency)
            let mapping = RoleMapping(
                clientId: "client-a",
                roleArn: "arn:aws:iam::123456789012:role/app",
                sessionDurationSeconds: session
            )
            let answer = Locked<Result<CredentialCache.Entry, APIError>?>(nil)
            cache.load(
                mapping: mapping,
                now: clock.now(),
                fetch: {
                    clock.advance(by: stsTime)
                    let n = stsCalls.withLock { n -> Int in
                        n += 1
                        return n
                    }
                    return .success(
                        AWSCredentials(
                            accessKeyId: "ASIASTS\(n)",
                            secretAccessKey: "secret-\(n)",
                            sessionToken: "session-\(n)",
                            expiration: clock.now().addingTimeInterval(TimeInterval(session) + 0.4)
                        )
                    )
                },
                completion: { result in answer.withLock { $0 = result } }
            )
            clock.advance(by: latency)
            guard case .success(let entry) = answer.withLock({ $0 }) else {
                return HTTPClientResponse(status: 502)
            }
            return HTTPClientResponse(status: 200, body: entry.body)
        }
    }

    func source(_ net: Network) -> ClientCredentialSource {
        ClientCredentialSource(
            settings: Self.settings,
            cache: nil,
            transport: { r throws(CurlError) in try net.send(r) },
            webIdentity: { _, _ in .failure(.network("unused")) },
            clock: { net.clock.now() },
            sleep: { _ in },
            logger: Logger(label: "test")
        )
    }

    /// What credential-daemon does: refresh, wait as `RefreshSchedule` says, refresh again.
    func keysOverRefreshes(session: Int, count: Int) throws -> [String] {
        let net = Network(session: session)
        let client = source(net)
        let schedule = RefreshSchedule()
        var keys: [String] = []
        for _ in 0..<count {
            let got = try client.credentials(forceRefresh: true)
            keys.append(got.credentials.accessKeyId)
            let delay = schedule.delayAfterSuccess(
                obtained: got.obtainedAt,
                expiration: got.credentials.expiration,
                now: net.clock.now()
            )
            net.clock.advance(by: delay)
        }
        return keys
    }

    @Test(arguments: [900, 1200, 3600])
    func everyRefreshBringsNewCredentials(session: Int) throws {
        let keys = try keysOverRefreshes(session: session, count: 4)
        #expect(keys == ["ASIASTS1", "ASIASTS2", "ASIASTS3", "ASIASTS4"])
    }
}
