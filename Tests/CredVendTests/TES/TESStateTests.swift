import Foundation
import Testing

@testable import CredVend
@testable import CredVendCore

@Suite struct TESStateTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    let policy = TESRefreshPolicy(refreshBuffer: 3)

    func creds(_ id: String, expiresIn seconds: TimeInterval, from start: Date) -> AWSCredentials {
        AWSCredentials(
            accessKeyId: id,
            secretAccessKey: "secret-\(id)",
            sessionToken: "token-\(id)",
            expiration: start.addingTimeInterval(seconds)
        )
    }

    @Test func nothingBeforeTheFirstFetch() {
        let state = TESState()
        guard case .unavailable(let reason) = state.serving(at: t0) else {
            Issue.record("served")
            return
        }
        #expect(reason.contains("in progress"))
    }

    @Test func servesUntilExpiryNeverAfter() {
        var state = TESState()
        let c = creds("A", expiresIn: 6, from: t0)
        let delay = state.record(.success(c), at: t0, policy: policy, unitRandom: 0)
        #expect(delay == 3)
        #expect(state.refreshes == 1)
        #expect(state.serving(at: t0) == .credentials(c))
        #expect(state.serving(at: t0.addingTimeInterval(5.999)) == .credentials(c))
        guard case .unavailable(let reason) = state.serving(at: t0.addingTimeInterval(6)) else {
            Issue.record("expired credentials were served")
            return
        }
        #expect(reason.contains("expired at \(ISO8601.string(t0.addingTimeInterval(6)))"))
    }

    @Test func failuresKeepTheLastGoodCredentialsAndSayWhy() {
        var state = TESState()
        let c = creds("A", expiresIn: 6, from: t0)
        _ = state.record(.success(c), at: t0, policy: policy, unitRandom: 0)
        let down = IoTCredentialError(.network, "the credential provider at https://x is unreachable: refused")
        let t3 = t0.addingTimeInterval(3)
        #expect(state.record(.failure(down), at: t3, policy: policy, unitRandom: 1) == 1)
        #expect(state.consecutiveFailures == 1)
        #expect(state.serving(at: t3) == .credentials(c))
        _ = state.record(.failure(down), at: t3.addingTimeInterval(1), policy: policy, unitRandom: 1)
        #expect(state.consecutiveFailures == 2)
        guard case .unavailable(let reason) = state.serving(at: t0.addingTimeInterval(7)) else {
            Issue.record("expired credentials were served")
            return
        }
        #expect(reason.contains("could not be refreshed: the credential provider at https://x is unreachable"))
        // Recovery: a success clears the failures and serves the new credentials.
        let t8 = t0.addingTimeInterval(8)
        let fresh = creds("B", expiresIn: 6, from: t8)
        _ = state.record(.success(fresh), at: t8, policy: policy, unitRandom: 0)
        #expect(state.consecutiveFailures == 0 && state.lastError == nil && state.refreshes == 2)
        #expect(state.serving(at: t8) == .credentials(fresh))
    }

    @Test func firstFailureExplainsItself() {
        var state = TESState()
        let e = IoTCredentialError(.notFound, httpStatus: 404, "role alias x not found")
        #expect(state.record(.failure(e), at: t0, policy: policy, unitRandom: 0) == 2.5)
        #expect(state.serving(at: t0) == .unavailable(reason: "no credentials yet: role alias x not found"))
    }

    @Test func credentialsExpiredOnArrivalAreAFailure() {
        var state = TESState()
        _ = state.record(.success(creds("OLD", expiresIn: -5, from: t0)), at: t0, policy: policy, unitRandom: 0)
        #expect(state.credentials == nil)
        #expect(state.refreshes == 0)
        #expect(state.lastError?.code == .badResponse)
        #expect(state.lastError?.message.contains("clock") == true)
    }
}
