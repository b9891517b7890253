public import CredVendCore
import CredVendSync
public import Foundation
import Synchronization

/// Vended credentials per client_id and `GrantKey` (role, duration, narrowing), so
/// two requests of one client for different grants never share them. Sharded so that requests for different
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
            CredentialProcessOutput.parse(body)
                ?? AWSCredentials(accessKeyId: "", secretAccessKey: "", expiration: expiration)
        }

        public init(credentials: AWSCredentials, mapping: RoleMapping, refreshAt: Date) {
            self.mapping = mapping
            self.refreshAt = refreshAt
            self.body = CredentialProcessOutput.render(credentials)
            self.expiration = credentials.expiration
        }
    }

    private final class Shard: Sendable {
        let entries = Locked<[String: [GrantKey: Entry]]>([:])
        /// Entries kept so far, counted under the lock: a miss's flight looks again only when
        /// this moved since its first look-up (another flight may have just filled it).
        let kept = Atomic<UInt64>(0)
    }

    private let shards: [Shard]
    private let flights = SingleFlight<Flight, Entry, APIError>()

    /// One STS call's identity: the grant under its key.
    private struct Flight: Hashable, Sendable {
        var mapping: RoleMapping
        var key: GrantKey
    }
    public let refreshBuffer: TimeInterval
    /// Read once a fetch returns, to judge what STS handed out; without it, `load`'s `now`.
    private let clock: (any WallClock)?

    public init(refreshBuffer: TimeInterval, shardCount: Int = 64, clock: (any WallClock)? = nil) {
        self.refreshBuffer = refreshBuffer
        self.shards = (0..<shardCount).map { _ in Shard() }
        self.clock = clock
    }

    private func shard(_ clientId: String) -> Shard {
        var h: UInt32 = 2_166_136_261
        for b in clientId.utf8 { h = (h ^ UInt32(b)) &* 16_777_619 }
        return shards[Int(h % UInt32(shards.count))]
    }

    /// When to fetch again: `refreshBuffer` before expiry, or at half the
    /// lifetime when the session is too short for that (docs/reference.md#credential-cache).
    /// A session asked for longer than twice the buffer always keeps the buffer, so
    /// no hit serves it with less left.
    public func refreshTime(issued: Date, expiration: Date, sessionDuration: Int? = nil) -> Date {
        let lifetime = expiration.timeIntervalSince(issued)
        let long = sessionDuration.map { Double($0) > 2 * refreshBuffer } ?? false
        if long || lifetime > 2 * refreshBuffer { return expiration.addingTimeInterval(-refreshBuffer) }
        return issued.addingTimeInterval(lifetime / 2)
    }

    /// A hit for exactly this mapping, or nil: a changed mapping never gets
    /// the old mapping's credentials.
    public func fresh(mapping: RoleMapping, key: GrantKey = .plain, now: Date) -> Entry? {
        lookup(mapping: mapping, key: key, now: now).hit
    }

    /// `fresh`, and the shard's count of entries kept as of that look-up.
    func lookup(mapping: RoleMapping, key: GrantKey, now: Date) -> (hit: Entry?, kept: UInt64) {
        let shard = shard(mapping.clientId)
        return shard.entries.withLock { e in
            let kept = shard.kept.load(ordering: .relaxed)
            guard let entry = e[mapping.clientId]?[key], entry.mapping == mapping, now < entry.refreshAt else {
                return (nil, kept)
            }
            return (entry, kept)
        }
    }

    /// Fetches on a miss (blocking, on the caller's thread) unless a fetch for
    /// the same mapping is already under way, whose result is shared. Credentials
    /// with too little time left (`ServableCredentials`) are a 502 and not kept.
    public func load(
        mapping: RoleMapping,
        key: GrantKey = .plain,
        now: Date,
        fetch: () -> Result<AWSCredentials, APIError>,
        completion: @escaping @Sendable (Result<Entry, APIError>) -> Void
    ) {
        load(mapping: mapping, key: key, now: now, startFetch: { done in done(fetch()) }, completion: completion)
    }

    /// `load` with a fetch that answers later: `startFetch` is called on this thread (on a
    /// miss, for the first caller only) and hands its result to `done`, once, from any thread.
    public func load(
        mapping: RoleMapping,
        key: GrantKey = .plain,
        now: Date,
        startFetch: (_ done: @escaping @Sendable (Result<AWSCredentials, APIError>) -> Void) -> Void,
        completion: @escaping @Sendable (Result<Entry, APIError>) -> Void
    ) {
        let first = lookup(mapping: mapping, key: key, now: now)
        if let hit = first.hit { return completion(.success(hit)) }
        missed(
            mapping: mapping,
            key: key,
            now: now,
            keptBefore: first.kept,
            startFetch: startFetch,
            completion: completion
        )
    }

    /// A miss's single flight. Its leader looks again only when the shard kept an entry since
    /// `keptBefore`: a flight that ended between that look-up and this start kept its entry
    /// before ending, so the count moved and that entry is taken, with no second STS call;
    /// on the common path there is no second look-up (some 600 instructions a miss).
    func missed(
        mapping: RoleMapping,
        key: GrantKey,
        now: Date,
        keptBefore: UInt64,
        startFetch: (_ done: @escaping @Sendable (Result<AWSCredentials, APIError>) -> Void) -> Void,
        completion: @escaping @Sendable (Result<Entry, APIError>) -> Void
    ) {
        let shard = shard(mapping.clientId)
        flights.start(
            Flight(mapping: mapping, key: key),
            work: { finish in
                if shard.kept.load(ordering: .relaxed) != keptBefore,
                    let hit = fresh(mapping: mapping, key: key, now: now)
                {
                    return finish(.success(hit))
                }
                startFetch { [self] fetched in
                    finish(fetched.flatMap { keep($0, mapping: mapping, key: key, now: now) })
                }
            },
            completion: completion
        )
    }

    /// The entry for credentials STS just handed out, kept for the next request.
    private func keep(
        _ creds: AWSCredentials,
        mapping: RoleMapping,
        key: GrantKey,
        now: Date
    ) -> Result<Entry, APIError> {
        let issued = max(now, clock?.now() ?? now)
        if let problem = ServableCredentials.problem(
            expiration: creds.expiration,
            now: issued,
            sessionDuration: mapping.sessionDurationSeconds,
            refreshBuffer: refreshBuffer
        ) {
            return .failure(.upstream("STS AssumeRole for \(mapping.roleArn): \(problem)"))
        }
        let entry = Entry(
            credentials: creds,
            mapping: mapping,
            refreshAt: refreshTime(
                issued: issued,
                expiration: creds.expiration ?? issued,
                sessionDuration: mapping.sessionDurationSeconds
            )
        )
        let shard = shard(mapping.clientId)
        shard.entries.withLock {
            $0[mapping.clientId, default: [:]][key] = entry
            shard.kept.add(1, ordering: .relaxed)
        }
        return .success(entry)
    }

    /// Forgets a client's credentials (its mapping changed or was deleted).
    public func invalidate(clientId: String) {
        _ = shard(clientId).entries.withLock { $0.removeValue(forKey: clientId) }
    }

    public var count: Int {
        shards.reduce(0) { $0 + $1.entries.withLock { $0.values.reduce(0) { $0 + $1.count } } }
    }
}
