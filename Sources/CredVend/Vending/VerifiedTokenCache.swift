public import CredVendCore
public import CredVendCrypto
public import CredVendStore
import CredVendSync
import CredVendSystem
public import Foundation
import Synchronization

/// Outcomes of the token checks (docs/reference.md#token-checks, 1-5) by SHA-256 of the token, so
/// that a token seen before skips the RSA check.
///
/// - An accepted token's entry lives no longer than the token: it is dropped once
///   `exp + skew` has passed, and `exp` is checked again on every hit by the caller.
/// - A refusal is kept only when it cannot turn into an acceptance while the keys stay
///   the same (bad signature, wrong issuer, expired, unknown kid, ...), for at most
///   `refusalTTL`. Refusals that time could heal (not yet valid, issued in the future)
///   are never kept. For an unknown kid the caller still applies its refresh rule on
///   every hit (the issuer may have rotated its keys).
/// - Every entry names the JWKS snapshot it was decided with; a different snapshot
///   (a refresh) is a miss, so a removed key stops being honoured at once.
/// - An entry says the token is genuine, not who presents it: a certificate-bound token
///   keeps its `cnf.x5t#S256`, and the caller checks it against each request's client
///   certificate, hit or miss (`CertificateBinding`).
/// - Bounded: `capacity` entries in 64 shards, each behind its own lock, so requests
///   for different tokens almost never meet on a lock.
/// - Each thread keeps its own copies of the entries it hit last (up to 64), checked
///   first: a token sent again and again from many connections (one daemon's, an agent's)
///   would otherwise have every worker take the same shard's lock and touch the same
///   entry's reference count on every request, which made one hot token slower than
///   many. A copy is used only while no entry has been stored since it was made (any
///   insert moves `generation`), so it answers exactly what the shard would.
/// - An accepted entry also keeps the token's last answer (`RepeatedAnswer`), which the
///   caller checks before using.
public final class VerifiedTokenCache: Sendable {
    public typealias Key = SHA256Digest

    public enum Outcome: Sendable {
        case accepted(VerifiedToken)
        case refused(JWTError)
    }

    /// A live entry: its outcome, and where the token's last answer is kept.
    public struct Hit: Sendable {
        public let outcome: Outcome
        fileprivate let entry: Entry

        /// The credentials of the answer `remember` kept last, if it still holds for `ask`.
        public func keptAnswer(for ask: RoleRequest, stamp: RoleStore.Stamp, now: Date) -> CredentialCache.Entry? {
            entry.lastAnswer.withLock { $0?.entry(for: ask, stamp: stamp, now: now) }
        }

        public func remember(_ answer: RepeatedAnswer) { entry.lastAnswer.withLock { $0 = answer } }
    }

    /// A class: a hit hands out one reference, not one per string of the token's claims.
    final class Entry: Sendable {
        let outcome: Outcome
        /// Seconds since 1970 after which the entry is dead.
        let until: Double
        /// Which JWKS snapshot decided it (its generation).
        let keysVersion: Double
        let lastAnswer: Locked<RepeatedAnswer?>

        init(outcome: Outcome, until: Double, keysVersion: Double, lastAnswer: RepeatedAnswer? = nil) {
            self.outcome = outcome
            self.until = until
            self.keysVersion = keysVersion
            self.lastAnswer = Locked(lastAnswer)
        }

        /// The same entry sharing no storage with this one (its strings copied too), for one thread.
        func privateCopy() -> Entry {
            func fresh(_ s: String?) -> String? { s.map { String(decoding: Array($0.utf8), as: UTF8.self) } }
            guard case .accepted(let t) = outcome else {
                return Entry(outcome: outcome, until: until, keysVersion: keysVersion)
            }
            let copy = VerifiedToken(
                clientId: fresh(t.clientId)!,
                scopes: [],
                exp: t.exp,
                iat: t.iat,
                jti: fresh(t.jti),
                sub: fresh(t.sub),
                certificateThumbprint: fresh(t.certificateThumbprint)
            )
            return Entry(
                outcome: .accepted(copy),
                until: until,
                keysVersion: keysVersion,
                lastAnswer: lastAnswer.withLock { $0?.privateCopy() }
            )
        }
    }

    /// One thread's copies of its repeated hits, valid while `generation` is the cache's.
    /// `seen` holds the last key hit per slot: a key is copied on its second hit from the
    /// slot, so tokens that cycle (thousands of clients) cost no copy, and a repeated one is
    /// copied once.
    private final class ThreadCopies {
        var entries: [Key: Entry] = [:]
        var seen = [Key?](repeating: nil, count: 64)
        var generation = -1
    }

    private final class Shard: Sendable {
        let entries = Locked<[Key: Entry]>([:])
    }

    public let capacity: Int
    public let refusalTTL: Double
    private let shards: [Shard]
    private let perShard: Int
    private let copies = ThreadLocal<ThreadCopies>()
    /// Moves on every insert: a thread's copies made before it are not used.
    private let generation = Atomic<Int>(0)

    public init(capacity: Int = 65_536, refusalTTL: Double = 300) {
        self.capacity = capacity
        self.refusalTTL = refusalTTL
        shards = (0..<64).map { _ in Shard() }
        perShard = max(1, capacity / 64)
    }

    private func shard(_ key: Key) -> Shard { shards[Int(truncatingIfNeeded: key.b & 63)] }

    /// The live entry for this token under this key set, or nil.
    public func lookup(_ key: Key, keysVersion: Double, now: Double) -> Hit? {
        guard capacity > 0 else { return nil }
        let mine = threadCopies()
        if let e = mine.entries[key], e.keysVersion == keysVersion, now < e.until {
            return Hit(outcome: e.outcome, entry: e)
        }
        let found = shard(key).entries.withLock { entries -> Entry? in
            guard let e = entries[key] else { return nil }
            guard e.keysVersion == keysVersion, now < e.until else {
                entries.removeValue(forKey: key)
                return nil
            }
            return e
        }
        guard let found else {
            mine.entries.removeValue(forKey: key)
            return nil
        }
        let slot = Int(truncatingIfNeeded: key.c & 63)
        if mine.seen[slot] == key {
            if mine.entries.count >= 64 { mine.entries.removeAll(keepingCapacity: true) }
            mine.entries[key] = found.privateCopy()
        } else {
            mine.seen[slot] = key
        }
        return Hit(outcome: found.outcome, entry: found)
    }

    /// This thread's copies, emptied if an entry was stored since they were made.
    private func threadCopies() -> ThreadCopies {
        let now = generation.load(ordering: .acquiring)
        let mine = copies.value(orMake: ThreadCopies.init)
        if mine.generation != now {
            mine.entries.removeAll(keepingCapacity: true)
            mine.generation = now
        }
        return mine
    }

    /// Remembers an acceptance until the token's `exp + skew`. The scopes are not kept
    /// (they were checked against the required ones; nothing reads them after), which
    /// saves an array per cached token.
    public func accept(_ key: Key, _ token: VerifiedToken, skew: Double, keysVersion: Double, now: Double) {
        let kept = VerifiedToken(
            clientId: token.clientId,
            scopes: [],
            exp: token.exp,
            iat: token.iat,
            jti: token.jti,
            sub: token.sub,
            // Kept, so the binding is checked against each request's certificate on every hit.
            certificateThumbprint: token.certificateThumbprint
        )
        insert(
            key,
            Entry(outcome: .accepted(kept), until: token.exp.timeIntervalSince1970 + skew, keysVersion: keysVersion),
            now: now
        )
    }

    /// Remembers a refusal, if it is one that stays a refusal under the same keys.
    public func refuse(_ key: Key, _ error: JWTError, keysVersion: Double, now: Double) {
        guard !error.code.mayPassLater else { return }
        insert(key, Entry(outcome: .refused(error), until: now + refusalTTL, keysVersion: keysVersion), now: now)
    }

    private func insert(_ key: Key, _ entry: Entry, now: Double) {
        guard capacity > 0, now < entry.until else { return }
        shard(key).entries.withLock { entries in
            if entries.count >= perShard, entries[key] == nil {
                // Full: keep the live entries, at most 7/8 of the shard (arbitrary ones go; that
                // only costs them a re-check), so the next sweep is perShard/8 inserts away.
                var kept = [Key: Entry](minimumCapacity: perShard)
                let keep = perShard - max(1, perShard / 8)
                for (k, e) in entries where now < e.until && kept.count < keep { kept[k] = e }
                entries = kept
            }
            entries[key] = entry
        }
        generation.add(1, ordering: .releasing)
    }

    public var count: Int { shards.reduce(0) { $0 + $1.entries.withLock { $0.count } } }
}
