import CredVendSync
import Dispatch

/// Runs at most one `work` per key at a time; callers that arrive while it runs
/// get the same result instead of starting their own (one STS call for N
/// concurrent requests of a client; one JWKS fetch at a time).
public final class SingleFlight<Key: Hashable & Sendable, Value: Sendable, Failure: Error>: Sendable {
    public typealias Completion = @Sendable (Result<Value, Failure>) -> Void
    private let waiting = Locked<[Key: [Completion]]>([:])

    public init() {}

    /// Runs `work` on the calling thread if no flight for `key` is under way;
    /// otherwise queues `completion` for the running flight's result.
    public func run(_ key: Key, work: () -> Result<Value, Failure>, completion: @escaping Completion) {
        let leader = waiting.withLock { w -> Bool in
            if w[key] != nil {
                w[key]!.append(completion)
                return false
            }
            w[key] = [completion]
            return true
        }
        guard leader else { return }
        let result = work()
        let all = waiting.withLock { $0.removeValue(forKey: key) ?? [] }
        for c in all { c(result) }
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

    public func isRunning(_ key: Key) -> Bool { waiting.withLock { $0[key] != nil } }
}
