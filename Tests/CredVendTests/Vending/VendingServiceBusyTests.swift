import CredVendSync
import CredVendTesting
import Foundation
import Testing

@testable import CredVend
@testable import CredVendCore

/// A slow or throttling STS, through the handler: cached clients never wait for it, new
/// clients wait at most the queue wait (then 503 with `Retry-After`), and throttling
/// lowers the number of calls in flight until STS stops asking.
@Suite struct VendingServiceBusyTests {
    static let roleB = "arn:aws:iam::123456789012:role/b"
    static let roleC = "arn:aws:iam::123456789012:role/c"

    /// Starts `request` on this thread (it is queued on the STS pool before this returns),
    /// without a task that a busy cooperative pool might start late.
    static func start(_ app: ServeApplication, _ request: HTTPRequest) -> Locked<HTTPResponse?> {
        let answer = Locked<HTTPResponse?>(nil)
        switch app.handle(request) {
        case .respond(let response): answer.withLock { $0 = response }
        case .deferred(let start): start(HTTPResponder(deliver: { r in answer.withLock { $0 = r } }))
        }
        return answer
    }

    @Test func aSlowSTSNeverDelaysACachedClientAndANewOneGetsA503WithinTheQueueWait() async throws {
        let f = try ServeFixture(stsPool: .init(concurrency: 1, queueLimit: 1, queueWait: .milliseconds(300)))
        try f.map("client-b", to: Self.roleB)
        try f.map("client-c", to: Self.roleC)
        let cached = f.token()
        #expect(await f.vend(cached).status == 200)
        f.sts.hold()
        defer { f.sts.release() }
        let slow = Self.start(f.app, f.post(f.token(clientId: "client-b")))
        let pool = f.pool
        #expect(try await blocking { waitUntil(timeout: 10) { pool.state.inFlight == 1 } })

        let hit = try await f.vendDirectly(cached)
        #expect(hit.outcome.response.status == 200)
        #expect(!hit.deferred, "a cache hit is answered on the request's thread, never through the pool")

        let started = ContinuousClock.now
        let refused = await f.vend(f.token(clientId: "client-c"))
        let waited = seconds(ContinuousClock.now - started)
        #expect(refused.status == 503)
        #expect(refused.errorCode == "unavailable")
        #expect(refused.headers["retry-after"] == "1")
        #expect(waited >= 0.29, "it waited its queue wait (0.3 s): \(waited) s")
        #expect(slow.withLock { $0 } == nil, "answered while the STS call it queued behind is still held")

        f.sts.release()
        #expect(try await blocking { waitUntil(timeout: 10) { slow.withLock { $0 != nil } } })
        #expect(slow.withLock { $0?.status } == 200)
        #expect(f.sts.calls.map(\.roleArn) == ["arn:aws:iam::123456789012:role/first", Self.roleB])
        #expect(f.pool.state.threads == 1, "the reaper: no thread waits for STS")
        #expect(f.metrics.stsShed.value("queue_wait") == 1)
    }

    @Test func aFullQueueIsA503AtOnceWithAJitteredRetryAfter() async throws {
        let f = try ServeFixture(
            stsPool: .init(concurrency: 1, queueLimit: 0, queueWait: .seconds(5)),
            retryAfterJitter: 0.99
        )
        try f.map("client-b", to: Self.roleB)
        f.sts.hold()
        defer { f.sts.release() }
        let slow = Self.start(f.app, f.post(f.token()))
        let pool = f.pool
        #expect(try await blocking { waitUntil(timeout: 10) { pool.state.inFlight == 1 } })
        let refused = await f.vend(f.token(clientId: "client-b"))
        #expect(refused.status == 503)
        #expect(refused.text.contains("queue of STS calls is full"))
        #expect(refused.headers["retry-after"] == "2", "at least 1 s, spread by the injected random value")
        #expect(slow.withLock { $0 } == nil, "refused without waiting for the held call")
        f.sts.release()
        #expect(try await blocking { waitUntil(timeout: 10) { slow.withLock { $0 != nil } } })
        #expect(slow.withLock { $0?.status } == 200)
        #expect(f.sts.callCount == 1)
        #expect(f.metrics.stsShed.value("queue_full") == 1)
    }

    @Test func throttlingCutsTheInFlightLimitAndSuccessesRestoreIt() async throws {
        let f = try ServeFixture(stsPool: .init(concurrency: 8))
        #expect(f.pool.state.allowed == 8)
        f.sts.script(.throttling)
        #expect(await f.vend(f.token()).status == 200)
        #expect(f.sts.calls.map(\.errorCode) == ["Throttling", nil])
        #expect(f.pool.state.allowed == 4)
        for i in 0..<30 {
            try f.map("client-\(i)", to: Self.roleB)
            #expect(await f.vend(f.token(clientId: "client-\(i)")).status == 200)
        }
        #expect(f.pool.state.allowed == 8)
    }

    @Test func anSTSThatKeepsThrottlingIsCalledThreeTimesThenA503() async throws {
        let f = try ServeFixture(stsPool: .init(concurrency: 8), retryAfterJitter: 0)
        f.sts.script(.throttling, .throttling, .throttling)
        let response = await f.vend(f.token())
        #expect(response.status == 503)
        #expect(response.errorCode == "unavailable")
        #expect(response.text.contains("throttling"))
        #expect(response.headers["retry-after"] == "1")
        #expect(f.sts.callCount == 3)
        #expect(f.pool.state.allowed == 1, "8, 4, 2, 1: each call started after the previous cut")
        #expect(f.metrics.stsCalls.value("throttled") == 3)
        #expect(f.metrics.stsShed.value("throttled") == 1)
    }
}
