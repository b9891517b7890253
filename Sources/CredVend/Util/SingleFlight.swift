import CredVendSync
import Dispatch

/// Runs at most one `work` per key at a time; callers that arrive while it runs
/// get the same result instead of starting their own (one STS call for N
/// concurrent requests of a client; one JWKS fetch at a time).
///
/// The flights are sharded by the key's hash, computed once outside any lock: with one
/// lock for every key, the STS pool's workers (32 threads on a few cores) queued on it,
/// each hashing a whole role mapping inside, and a worker preempted there stalled them all.
///
/// A shard is a short list, not a dictionary: flights under way are bounded by the STS
/// pool's in-flight and queue limits (about 1,000, some 60 a shard), a scan of their hashes
/// costs less than hashing into a dictionary, and the leader ends its flight by number, with
/// no hashing and no key comparison (a role mapping's byte by byte) at all.
public final class SingleFlight<Key: Hashable & Sendable, Value: Sendable, Failure: Error>: Sendable {
    public typealias Completion = @Sendable (Result<Value, Failure>) -> Void

    /// One flight under way: its key, the leader's completion kept inline (a flight nobody
    /// joins, nearly all of them, allocates no array) and those of the callers that joined.
    private struct Running {
        let hash: Int
        let key: Key
        let number: UInt64
        let leader: Completion
        var joined: [Completion] = []

        func finish(_ result: Result<Value, Failure>) {
            leader(result)
            for c in joined { c(result) }
        }
    }

    private struct Flights {
        var running: [Running] = []
        var lastNumber: UInt64 = 0

        func index(of key: Key, hash: Int) -> Int? {
            running.firstIndex { $0.hash == hash && $0.key == key }
        }

        /// The new flight's number, or nil when `completion` joined the one under way.
        mutating func join(_ key: Key, hash: Int, _ completion: @escaping Completion) -> UInt64? {
            if let i = index(of: key, hash: hash) {
                running[i].joined.append(completion)
                return nil
            }
            lastNumber &+= 1
            running.append(Running(hash: hash, key: key, number: lastNumber, leader: completion))
            return lastNumber
        }

        mutating func end(_ number: UInt64) -> Running? {
            guard let i = running.firstIndex(where: { $0.number == number }) else { return nil }
            running.swapAt(i, running.count - 1)
            return running.removeLast()
        }
    }

    private let shards: [Locked<Flights>]

    public init(shardCount: Int = 16) {
        shards = (0..<max(1, shardCount)).map { _ in Locked(Flights()) }
    }

    private func shard(_ hash: Int) -> Locked<Flights> {
        shards[Int(UInt(bitPattern: hash) % UInt(shards.count))]
    }

    /// Runs `work` on the calling thread if no flight for `key` is under way;
    /// otherwise queues `completion` for the running flight's result.
    public func run(_ key: Key, work: () -> Result<Value, Failure>, completion: @escaping Completion) {
        start(key, work: { finish in finish(work()) }, completion: completion)
    }

    /// `run` for work that answers later: the leader's `work` is called on this thread and
    /// hands its result, once, to the closure it is given, from any thread.
    public func start(_ key: Key, work: (@escaping Completion) -> Void, completion: @escaping Completion) {
        let hash = key.hashValue
        let flights = shard(hash)
        guard let number = flights.withLock({ $0.join(key, hash: hash, completion) }) else { return }
        work { result in flights.withLock { $0.end(number) }?.finish(result) }
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
        let hash = key.hashValue
        return shard(hash).withLock { $0.index(of: key, hash: hash) != nil }
    }
}
