public import CredVendCore
import CredVendSync
public import Logging
import Synchronization

/// Where every STS call of `credvend serve` starts: at most `concurrency` calls in flight,
/// a queue of at most `queueLimit` waiting requests, each waiting at most `queueWait`, and
/// an `AdaptiveLimit` on how many calls are in flight, cut when STS answers `Throttling`
/// and raised again as calls succeed.
///
/// The pool owns no thread that waits for STS: a job starts its call (signing it and handing
/// it to the HTTP workers' `WorkerTransfers`) on the thread that found it a slot, and gives the slot back when STS has answered. Thirty-two worker
/// threads each blocked in one call cost more CPU in hand-offs and sleeps than the calls
/// themselves. One thread of its own, the reaper, answers requests whose queue wait ran out
/// while every slot is taken by a slow call.
///
/// A request refused here (queue full, wait over, STS still throttling) is a 503
/// `unavailable` with a jittered `Retry-After` (`BusyRetryAfter`).
public final class STSCallPool: Sendable {
    public struct Settings: Sendable, Equatable {
        /// The most STS calls ever in flight (`--sts-concurrency`).
        public var concurrency: Int
        /// Requests that may wait for a call to start (`--sts-queue`).
        public var queueLimit: Int
        /// How long one may wait (`--sts-queue-wait`).
        public var queueWait: Duration
        /// The in-flight limit before STS has answered anything.
        public var initialLimit: Int
        /// STS calls one request makes while STS answers `Throttling` (the first included).
        public var maxThrottledAttempts: Int

        public init(
            concurrency: Int = 32,
            queueLimit: Int = 1000,
            queueWait: Duration = .seconds(2),
            initialLimit: Int? = nil,
            maxThrottledAttempts: Int = 3
        ) {
            self.concurrency = concurrency
            self.queueLimit = queueLimit
            self.queueWait = queueWait
            self.initialLimit = initialLimit ?? concurrency
            self.maxThrottledAttempts = maxThrottledAttempts
        }

        /// Within the bounds the pool works with (`serve` refuses values outside them).
        var clamped: Settings {
            var s = self
            s.concurrency = max(1, concurrency)
            s.queueLimit = max(0, queueLimit)
            s.queueWait = max(.zero, queueWait)
            s.initialLimit = min(s.concurrency, max(1, initialLimit))
            s.maxThrottledAttempts = max(1, maxThrottledAttempts)
            return s
        }

        public static let `default` = Settings()
    }

    private let core: STSCallPoolCore

    /// `unitRandom`: the jitter of `Retry-After`, in [0, 1).
    public init(
        _ settings: Settings = .default,
        metrics: ServerMetrics? = nil,
        logger: Logger,
        unitRandom: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        core = STSCallPoolCore(settings: settings.clamped, metrics: metrics, logger: logger, unitRandom: unitRandom)
    }

    deinit { core.stop() }

    public var settings: Settings { core.settings }

    /// Runs `job` once a call may start, on the thread that finds it a slot (this one, when a
    /// slot is free), or calls `refused` with the 503: at once when the queue is full, or when
    /// `queueWait` passes first. `job` must not block: it starts its work, and its permit's
    /// slot stays taken until `paced` has its answer or `done` is called.
    public func submit(
        _ job: @escaping @Sendable (STSPermit) -> Void,
        refused: @escaping @Sendable (APIError) -> Void
    ) {
        core.submit(job, refused: refused)
    }

    /// STS calls allowed in flight now, calls in flight, requests waiting, threads started.
    public var state: (allowed: Int, inFlight: Int, queued: Int, threads: Int) { core.snapshot }
}

/// The slot one job holds; `paced` makes its STS calls, `done` gives the slot back.
public final class STSPermit: Sendable {
    let core: STSCallPoolCore
    let deadline: UInt64
    /// False once the slot is given back (or while a throttled call waits for another).
    let held = Atomic(true)

    init(core: STSCallPoolCore, deadline: UInt64) {
        self.core = core
        self.deadline = deadline
    }

    /// A job that ends without an STS call, for whatever reason, still gives its slot back.
    deinit { core.release(self) }

    /// What `paced` came to: STS's answer, or a 503 because STS kept throttling.
    public enum Outcome<T> {
        case answered(Result<T, STSError>)
        case busy(APIError)
    }

    /// Gives the slot back (once; later calls do nothing).
    public func done() { core.release(self) }

    /// Starts `call` (one STS call, not retried on throttling, that hands its answer to the
    /// closure it is given) in this slot, and gives the slot back before `completion` gets the
    /// outcome. On `Throttling` the limit is cut, the slot given back, and the call made again
    /// once a slot is free, while the request's queue deadline allows, `maxThrottledAttempts`
    /// calls in all; so retries wait behind the lowered limit instead of hammering a throttled STS.
    public func paced<T>(
        _ call: @escaping @Sendable (_ answer: @escaping @Sendable (Result<T, STSError>) -> Void) -> Void,
        completion: @escaping @Sendable (Outcome<T>) -> Void
    ) {
        attempt(1, call, completion)
    }

    private func attempt<T>(
        _ number: Int,
        _ call: @escaping @Sendable (_ answer: @escaping @Sendable (Result<T, STSError>) -> Void) -> Void,
        _ completion: @escaping @Sendable (Outcome<T>) -> Void
    ) {
        let started = STSCallPoolCore.now()
        call { [self] result in
            let ended = STSCallPoolCore.now()
            guard case .failure(let error) = result, error.isThrottling else {
                core.answered(seconds: Double(ended &- started) / 1e9)
                done()
                return completion(.answered(result))
            }
            core.throttled(startedAt: started, now: ended)
            guard number < core.settings.maxThrottledAttempts else {
                let busy = core.busy("STS is throttling credvend's calls", reason: "throttled")
                done()
                return completion(.busy(busy))
            }
            core.retry(
                self,
                resume: { [self] in attempt(number + 1, call, completion) },
                expired: { completion(.busy($0)) }
            )
        }
    }
}
