public import CredVendCore
import CredVendSync
public import Foundation
import Synchronization

/// STS refusals (`STSError.isRefusal`) remembered per client, `GrantKey` and grant, so
/// that a client retrying in a loop costs a few AssumeRole calls, not one per
/// request: the account's STS quota is shared by every client. A refusal holds for
/// `RefusalBackoff`'s wait (5 s, doubling with each refusal in a row, at most 5 min,
/// jittered); a changed mapping is not the refused one and is tried at once; a
/// success forgets that key's refusal.
public final class RefusalMemory: Sendable {
    public struct Refusal: Sendable {
        public let mapping: RoleMapping
        public let error: STSError
        /// Refusals in a row for this mapping, this one included.
        public let count: Int
        public let until: Date

        /// Whole seconds until STS is asked again, at least 1 (for `Retry-After`).
        public func retryAfter(now: Date) -> Int {
            max(1, Int(until.timeIntervalSince(now).rounded(.up)))
        }
    }

    private final class Shard: Sendable {
        let entries = Locked<[String: [GrantKey: Refusal]]>([:])
    }

    private let shards: [Shard]
    /// Entries held; while 0 (no client refused), a look-up takes no lock.
    private let held = Atomic<Int>(0)
    public let backoff: RefusalBackoff
    private let unitRandom: @Sendable () -> Double

    /// `unitRandom`: values in [0, 1) for the jitter.
    public init(
        backoff: RefusalBackoff = .default,
        shardCount: Int = 16,
        unitRandom: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.backoff = backoff
        self.unitRandom = unitRandom
        shards = (0..<max(1, shardCount)).map { _ in Shard() }
    }

    private func shard(_ clientId: String) -> Shard {
        var h: UInt32 = 2_166_136_261
        for b in clientId.utf8 { h = (h ^ UInt32(b)) &* 16_777_619 }
        return shards[Int(h % UInt32(shards.count))]
    }

    /// The refusal still in force for exactly this mapping, or nil.
    public func remembered(_ mapping: RoleMapping, key: GrantKey = .plain, now: Date) -> Refusal? {
        guard held.load(ordering: .relaxed) > 0 else { return nil }
        return shard(mapping.clientId).entries.withLock { e -> Refusal? in
            guard let r = e[mapping.clientId]?[key], r.mapping == mapping, now < r.until else { return nil }
            return r
        }
    }

    /// Remembers that STS refused `mapping`: one more in a row when the last refusal
    /// was for the same mapping, else the first.
    @discardableResult
    public func record(_ mapping: RoleMapping, key: GrantKey = .plain, _ error: STSError, now: Date) -> Refusal {
        let u = unitRandom()
        return shard(mapping.clientId).entries.withLock { e -> Refusal in
            let previous = e[mapping.clientId]?[key]
            let count = previous.map { $0.mapping == mapping ? $0.count + 1 : 1 } ?? 1
            let refusal = Refusal(
                mapping: mapping,
                error: error,
                count: count,
                until: now.addingTimeInterval(backoff.delay(afterRefusals: count, unitRandom: u))
            )
            e[mapping.clientId, default: [:]][key] = refusal
            if previous == nil { held.add(1, ordering: .relaxed) }
            return refusal
        }
    }

    /// Forgets a client's refusals (its mapping was changed or deleted).
    public func forget(clientId: String) {
        guard held.load(ordering: .relaxed) > 0 else { return }
        shard(clientId).entries.withLock { e in
            if let gone = e.removeValue(forKey: clientId) { held.subtract(gone.count, ordering: .relaxed) }
        }
    }

    /// Forgets the refusal under one key (STS vended for it).
    public func forget(clientId: String, key: GrantKey) {
        guard held.load(ordering: .relaxed) > 0 else { return }
        shard(clientId).entries.withLock { e in
            if e[clientId]?.removeValue(forKey: key) != nil { held.subtract(1, ordering: .relaxed) }
            if e[clientId]?.isEmpty == true { e[clientId] = nil }
        }
    }

    public var count: Int { held.load(ordering: .relaxed) }
}
