import CredVendStore
import CredVendTesting
import Foundation
import Testing

@testable import CredVend
@testable import CredVendCore

/// The credential cache as the product uses it: one STS call per client until refresh,
/// shared by concurrent requests, and never the old role's credentials after a change.
@Suite struct VendingServiceCacheTests {
    @Test func aMissCallsSTSAndAHitDoesNot() async throws {
        let f = try ServeFixture()
        let token = f.token()
        let first = try await f.vendDirectly(token)
        #expect(first.deferred, "a miss must leave the HTTP thread for the STS call")
        #expect(first.outcome.response.status == 200)
        #expect(f.sts.callCount == 1)

        let second = try await f.vendDirectly(token)
        #expect(!second.deferred, "a hit is answered on the HTTP thread")
        #expect(second.outcome.response.status == 200)
        #expect(second.outcome.response.credentials == first.outcome.response.credentials)
        #expect(f.sts.callCount == 1)
        #expect(f.sts.calls.first?.errorCode == nil, "the FakeSTS refused credvend's own signature")
        #expect(f.metrics.cacheMisses.current == 1 && f.metrics.cacheHits.current == 1)
        #expect(f.metrics.stsCalls.value("success") == 1)
    }

    /// The refresh time is reckoned from the injected clock: with the system's, a 900 s
    /// session would look days long and be refetched at once.
    @Test func aShortSessionIsCachedForHalfItsLifetime() async throws {
        let f = try ServeFixture()
        try f.map(to: "arn:aws:iam::123456789012:role/first", sessionDurationSeconds: 900)
        #expect(await f.vend(f.token()).status == 200)
        f.clock.advance(by: 449)
        #expect(await f.vend(f.token()).status == 200)
        #expect(f.sts.callCount == 1)
        f.clock.advance(by: 1)
        #expect(await f.vend(f.token()).status == 200)
        #expect(f.sts.callCount == 2)
    }

    @Test func theCacheIsRefilledAfterTheRefreshBuffer() async throws {
        let f = try ServeFixture()
        let first = await f.vend(f.token())
        // Default session 3600 s, refresh buffer 900 s: due after 2700 s.
        f.clock.advance(by: 2701)
        let second = await f.vend(f.token())
        #expect(first.status == 200 && second.status == 200)
        #expect(f.sts.callCount == 2)
        #expect(second.credentials?.accessKeyId != first.credentials?.accessKeyId)
    }

    @Test func twentyConcurrentRequestsForOneClientMakeOneSTSCall() async throws {
        let f = try ServeFixture()
        f.sts.setDelay(.milliseconds(300))
        let app = f.app
        let request = f.post(f.token())
        let responses = await withTaskGroup(of: HTTPResponse.self) { group in
            for _ in 0..<20 { group.addTask { await respond(app, to: request) } }
            return await group.reduce(into: [HTTPResponse]()) { $0.append($1) }
        }
        #expect(responses.count == 20)
        #expect(responses.allSatisfy { $0.status == 200 })
        #expect(Set(responses.compactMap { $0.credentials?.accessKeyId }).count == 1)
        #expect(f.sts.callCount == 1)
    }

    @Test func aRoleChangeIsSeenOnTheNextRequest() async throws {
        let f = try ServeFixture()
        let token = f.token()
        let before = await f.vend(token)
        try f.map(to: "arn:aws:iam::123456789012:role/second")
        let after = await f.vend(token)
        #expect(before.status == 200 && after.status == 200)
        #expect(f.sts.callCount == 2)
        #expect(
            f.sts.calls.map(\.roleArn) == [
                "arn:aws:iam::123456789012:role/first", "arn:aws:iam::123456789012:role/second",
            ]
        )
        #expect(after.credentials?.accessKeyId != before.credentials?.accessKeyId)
    }

    @Test func aDeletedMappingIsRefusedAtOnceDespiteCachedCredentials() async throws {
        let f = try ServeFixture()
        let token = f.token()
        #expect(await f.vend(token).status == 200)
        #expect(try f.roles.delete(ServeFixture.clientId))
        let response = await f.vend(token)
        #expect(response.status == 403)
        #expect(response.errorCode == "access_denied")
        #expect(f.sts.callCount == 1)
    }

    @Test func eachClientGetsItsOwnSession() async throws {
        let f = try ServeFixture()
        try f.map("another-client-00000000001", to: "arn:aws:iam::123456789012:role/other")
        let a = await f.vend(f.token())
        let b = await f.vend(f.token(clientId: "another-client-00000000001"))
        #expect(a.status == 200 && b.status == 200)
        #expect(f.sts.callCount == 2)
        #expect(
            f.sts.calls.map(\.roleSessionName) == [
                "credvend-\(ServeFixture.clientId)", "credvend-another-client-00000000001",
            ]
        )
    }
}
