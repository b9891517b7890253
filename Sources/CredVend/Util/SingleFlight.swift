import CredVendSync
import Dispatch

/// Runs at most one `work` per key at a time; callers that arrive while it runs
/// get the same result instead of starting their own (one STS call for N
/// concurrent requests of a client; one JWKS fetch at a time).
///
/// The flights are sharded by the key's hash, computed once outside any lock: with one
/// lock for every key, the STS pool's workers (32 threads on a few cores) queued on it,
/// each hashing a whole role mapping inside, and a worker preempted there stalled them all.
public final class SingleFlight<Key: Hashable & Sendable, Value: Sendable, Failure: Error>: Sendable {
    public typealias Completion = @Sendable (Result<Value, Failure>) -> Void

    /// A key with its hash, so that the dictionary under the lock hashes one integer.
    private struct Hashed: Hashable, Sendable {
        let key: Key
        let hash: Int

        init(_ key: Key) {
            self.key = key
            hash = key.hashValue
        }

        func hash(into hasher: inout Hasher) { hasher.combine(hash) }
        static func == (a: Hashed, b: Hashed) -> Bool { a.hash == b.hash && a.key == b.key }
    }

    /// The callers of one flight: the leader's completion kept inline, so that a flight
    /// nobody joins (nearly all of them) allocates no array.
    private struct Waiting {
        var first: Completion?
        var more: [Completion] = []

        /// Adds `completion`; whether it is the leader's.
        mutating func join(_ completion: @escaping Completion) -> Bool {
            guard first != nil else {
                first = completion
                return true
            }
            more.append(completion)
            return false
        }

        func finish(_ result: Result<Value, Failure>) {
            first?(result)
            for c in more { c(result) }
        }
    }

    private let shards: [Locked<[Hashed: Waiting]>]

    public init(shardCount: Int = 16) {
        shards = (0..<max(1, shardCount)).map { _ in Locked([:]) }
    }

    private func shard(_ key: Hashed) -> Locked<[Hashed: Waiting]> {
        shards[Int(UInt(bitPattern: key.hash) % UInt(shards.count))]
    }

    /// Runs `work` on the calling thread if no flight for `key` is under way;
    /// otherwise queues `completion` for the running flight's result.
    public func run(_ key: Key, work: () -> Result<Value, Failure>, completion: @escaping Completion) {
        start(key, work: { finish in finish(work()) }, completion: completion)
    }

    /// `run` for work that answers later: the leader's `work` is called on this thread and
    /// hands its result, once, to the closure it is given, from any thread.
    public func start(_ key: Key, work: (@escaping Completion) -> Void, completion: @escaping Completion) {
        let hashed = Hashed(key)
        let waiting = shard(hashed)
        // One probe of the dictionary: the flight's entry found or made, and joined.
        guard waiting.withLock({ $0[hashed, default: Waiting()].join(completion) }) else { return }
        work { result in waiting.withLock { $0.removeValue(forKey: hashed) }?.finish(result) }
    }

    /// `run`, waiting on this thread for the result when another caller leads.
    public func runBlocking(_ key: Key, work: () -> Result<Value, Failure>) -> Result<Value, Failure> {
        let box = Locked<Result<Value, Failure>?>(nil)
        let done = DispatchSemaphore(value: 0)
        run(key, work: work) { r in
            box.withLock { $0 = r }
            done.signal()
        }
        done.wait()
        return box.withLock { $0! }
    }

    public func isRunning(_ key: Key) -> Bool {
        let hashed = Hashed(key)
        return shard(hashed).withLock { $0[hashed] != nil }
    }
}
