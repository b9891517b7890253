public import Foundation
import Synchronization
public import CredVendCore

/// Vended credentials per client_id. Sharded so that requests for different
/// clients never contend on one lock; misses go through `SingleFlight`, so N
/// concurrent requests for one client make one STS call.
public final class CredentialCache: Sendable {
    /// A class, so that handing an entry to each request is one reference count
    /// (a struct of strings cost a dozen atomic retains, shared by every core).
    /// The secret parts are kept once, inside the response body, not twice: with
    /// ~1 KiB session tokens that halves the memory each cached client costs.
    public final class Entry: Sendable {
        public let mapping: RoleMapping
        public let refreshAt: Date
        /// The response body, built once per STS call rather than once per request.
        public let body: [UInt8]
        public let expiration: Date?

        /// The vended credentials, read back from `body` (not on the request path).
        public var credentials: AWSCredentials {
            CredentialProcessOutput.parse(body) ?? AWSCredentials(accessKeyId: "", secretAccessKey: "", expiration: expiration)
        }

        public init(credentials: AWSCredentials, mapping: RoleMapping, refreshAt: Date) {
            self.mapping = mapping
            self.refreshAt = refreshAt
            self.body = CredentialProcessOutput.render(credentials)
            self.expiration = credentials.expiration
        }
    }

    private final class Shard: Sendable {
        let entries = Mutex<[String: Entry]>([:])
    }

    private let shards: [Shard]
    private let flights = SingleFlight<RoleMapping, Entry, APIError>()
    public let refreshBuffer: TimeInterval

    public init(refreshBuffer: TimeInterval, shardCount: Int = 64) {
        self.refreshBuffer = refreshBuffer
        self.shards = (0..<shardCount).map { _ in Shard() }
    }

    private func shard(_ clientId: String) -> Shard {
        var h: UInt32 = 2_166_136_261
        for b in clientId.utf8 { h = (h ^ UInt32(b)) &* 16_777_619 }
        return shards[Int(h % UInt32(shards.count))]
    }

    /// When to fetch again: `refreshBuffer` before expiry, or at half the
    /// lifetime when the session is too short for that (docs/reference.md#credential-cache).
    public func refreshTime(issued: Date, expiration: Date) -> Date {
        let lifetime = expiration.timeIntervalSince(issued)
        if lifetime > 2 * refreshBuffer { return expiration.addingTimeInterval(-refreshBuffer) }
        return issued.addingTimeInterval(lifetime / 2)
    }

    /// A hit for exactly this mapping, or nil: a changed mapping never gets
    /// the old mapping's credentials.
    public func fresh(mapping: RoleMapping, now: Date) -> Entry? {
        shard(mapping.clientId).entries.withLock { e -> Entry? in
            guard let entry = e[mapping.clientId], entry.mapping == mapping, now < entry.refreshAt else { return nil }
            return entry
        }
    }

    /// Fetches on a miss (blocking, on the caller's thread) unless a fetch for
    /// the same mapping is already under way, whose result is shared.
    public func load(mapping: RoleMapping, now: Date, fetch: () -> Result<AWSCredentials, APIError>,
                     completion: @escaping @Sendable (Result<Entry, APIError>) -> Void) {
        if let hit = fresh(mapping: mapping, now: now) { return completion(.success(hit)) }
        flights.run(mapping, work: {
            if let hit = fresh(mapping: mapping, now: now) { return .success(hit) }
            return fetch().map { creds in
                let entry = Entry(credentials: creds, mapping: mapping,
                                  refreshAt: refreshTime(issued: now, expiration: creds.expiration ?? now))
                shard(mapping.clientId).entries.withLock { $0[mapping.clientId] = entry }
                return entry
            }
        }, completion: completion)
    }

    /// Forgets a client's credentials (its mapping changed or was deleted).
    public func invalidate(clientId: String) {
        _ = shard(clientId).entries.withLock { $0.removeValue(forKey: clientId) }
    }

    public var count: Int { shards.reduce(0) { $0 + $1.entries.withLock { $0.count } } }
}
