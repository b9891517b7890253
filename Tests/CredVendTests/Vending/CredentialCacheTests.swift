import Foundation
import Testing

@testable import CredVend
@testable import CredVendCore
@testable import CredVendSync

@Suite struct CredentialCacheTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    let mapping = RoleMapping(clientId: "c1", roleArn: "arn:aws:iam::123456789012:role/a")

    func creds(_ id: String, lifetime: TimeInterval) -> AWSCredentials {
        AWSCredentials(
            accessKeyId: id,
            secretAccessKey: "s",
            sessionToken: "t",
            expiration: t0.addingTimeInterval(lifetime)
        )
    }

    @Test func refreshTimeHonoursBufferOrHalfLife() {
        let cache = CredentialCache(refreshBuffer: 900)
        #expect(cache.refreshTime(issued: t0, expiration: t0 + 3600) == t0 + 2700)
        // Not more than twice the buffer: cached for half the lifetime.
        #expect(cache.refreshTime(issued: t0, expiration: t0 + 1800) == t0 + 900)
        #expect(cache.refreshTime(issued: t0, expiration: t0 + 900) == t0 + 450)
    }

    @Test func hitsOnlyForTheSameMappingAndBeforeRefresh() {
        let cache = CredentialCache(refreshBuffer: 900)
        cache.load(mapping: mapping, now: t0, fetch: { .success(creds("A", lifetime: 3600)) }, completion: { _ in })
        #expect(cache.fresh(mapping: mapping, now: t0 + 2699)?.credentials.accessKeyId == "A")
        #expect(cache.fresh(mapping: mapping, now: t0 + 2700) == nil)
        var changed = mapping
        changed.roleArn = "arn:aws:iam::123456789012:role/b"
        #expect(cache.fresh(mapping: changed, now: t0) == nil)
        cache.invalidate(clientId: "c1")
        #expect(cache.fresh(mapping: mapping, now: t0) == nil)
    }

    @Test func bodyIsTheCredentialProcessShape() throws {
        let cache = CredentialCache(refreshBuffer: 900)
        cache.load(mapping: mapping, now: t0, fetch: { .success(creds("A", lifetime: 3600)) }, completion: { _ in })
        let body = try #require(cache.fresh(mapping: mapping, now: t0)).body
        let parsed = try #require(CredentialProcessOutput.parse(body))
        #expect(parsed.accessKeyId == "A" && parsed.sessionToken == "t")
    }

    @Test func failuresAreNotCached() {
        let cache = CredentialCache(refreshBuffer: 900)
        let calls = Counter()
        for _ in 0..<2 {
            cache.load(
                mapping: mapping,
                now: t0,
                fetch: {
                    calls.increment()
                    return .failure(.upstream("no"))
                },
                completion: { r in #expect(throws: APIError.self) { try r.get() } }
            )
        }
        #expect(calls.current == 2)
    }

    /// A caller missed, then another flight filled the cache and ended, then this caller
    /// leads the next flight: it takes that entry and STS is not called again.
    @Test func aFlightAfterAnotherFilledTheCacheTakesItsEntry() {
        let cache = CredentialCache(refreshBuffer: 900)
        let late = cache.lookup(mapping: mapping, key: .plain, now: t0)
        #expect(late.hit == nil)
        cache.load(mapping: mapping, now: t0, fetch: { .success(creds("A", lifetime: 3600)) }, completion: { _ in })
        let calls = Counter()
        let ids = Collected()
        cache.missed(
            mapping: mapping,
            key: .plain,
            now: t0,
            keptBefore: late.kept,
            startFetch: { done in
                calls.increment()
                done(.success(creds("B", lifetime: 3600)))
            },
            completion: { r in ids.append((try? r.get().credentials.accessKeyId) ?? "x") }
        )
        #expect(calls.current == 0)
        #expect(ids.all == ["A"])
    }

    @Test func concurrentMissesShareOneFetch() async {
        let cache = CredentialCache(refreshBuffer: 900)
        let calls = Counter()
        let ids = Collected()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    cache.load(
                        mapping: mapping,
                        now: t0,
                        fetch: {
                            calls.increment()
                            Thread.sleep(forTimeInterval: 0.2)
                            return .success(creds("A", lifetime: 3600))
                        }
                    ) { r in ids.append((try? r.get().credentials.accessKeyId) ?? "x") }
                }
            }
        }
        // Waiters are called by the leader before its load returns.
        #expect(calls.current == 1)
        #expect(ids.all == Array(repeating: "A", count: 16))
    }
}

/// Strings appended from several threads.
final class Collected: Sendable {
    private let items = Locked<[String]>([])
    func append(_ s: String) { items.withLock { $0.append(s) } }
    var all: [String] { items.withLock { $0 } }
}
