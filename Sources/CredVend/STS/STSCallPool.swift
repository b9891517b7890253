public import CredVendCore
import CredVendSync
public import Logging

/// Where every STS call of `credvend serve` runs: at most `concurrency` threads of its
/// own, a queue of at most `queueLimit` waiting requests, each waiting at most
/// `queueWait`, and an `AdaptiveLimit` on how many calls are in flight, cut when STS
/// answers `Throttling` and raised again as calls succeed.
///
/// Why worker threads and not libcurl's multi interface: an STS call is a blocking
/// pipeline of signing, a libcurl transfer, XML parsing and the credential cache's single
/// flight, all of it synchronous code shared with the other commands. A fixed set of
/// threads, started on demand and never more than `concurrency`, runs that code as it is,
/// bounds the threads exactly (the GCD concurrent queue before it grew one blocked thread
/// per waiting call), and needs no second event loop; at STS's own quota (hundreds of
/// calls a second, tens of milliseconds each) the calls in flight number a few dozen.
/// One more thread, the reaper, answers requests whose queue wait ran out while every
/// worker is busy in a slow call.
///
/// A request refused here (queue full, wait over, STS still throttling) is a 503
/// `unavailable` with a jittered `Retry-After` (`BusyRetryAfter`).
public final class STSCallPool: Sendable {
    public struct Settings: Sendable, Equatable {
        /// Worker threads, and the most STS calls ever in flight (`--sts-concurrency`).
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

    /// Runs `job` on a pool thread once a call may start, or calls `refused` with the 503:
    /// at once when the queue is full, or when `queueWait` passes first.
    public func submit(
        _ job: @escaping @Sendable (STSPermit) -> Void,
        refused: @escaping @Sendable (APIError) -> Void
    ) {
        core.submit(job, refused: refused)
    }

    /// STS calls allowed in flight now, calls in flight, requests waiting, threads started.
    public var state: (allowed: Int, inFlight: Int, queued: Int, threads: Int) { core.snapshot }
}

/// The slot one job holds while it runs on a pool thread; `paced` makes its STS calls.
public final class STSPermit: Sendable {
    let core: STSCallPoolCore
    let deadline: UInt64
    /// False once a failed `reacquire` gave the slot back (set with the pool's condition held).
    let held = Locked(true)

    init(core: STSCallPoolCore, deadline: UInt64) {
        self.core = core
        self.deadline = deadline
    }

    /// What `paced` came to: STS's answer, or a 503 because STS kept throttling.
    public enum Outcome<T> {
        case answered(Result<T, STSError>)
        case busy(APIError)
    }

    /// Makes `call` (one STS call, not retried on throttling) in this slot. On `Throttling`
    /// the limit is cut, the slot given back, and the call made again once a slot is free,
    /// while the request's queue deadline allows, `maxThrottledAttempts` calls in all; so
    /// retries wait behind the lowered limit instead of hammering a throttled STS.
    public func paced<T>(_ call: () -> Result<T, STSError>) -> Outcome<T> {
        var attempt = 1
        while true {
            let started = STSCallPoolCore.now()
            let result = call()
            let ended = STSCallPoolCore.now()
            guard case .failure(let error) = result, error.isThrottling else {
                core.answered(seconds: Double(ended &- started) / 1e9)
                return .answered(result)
            }
            core.throttled(startedAt: started, now: ended)
            guard attempt < core.settings.maxThrottledAttempts, core.reacquire(self) else {
                return .busy(core.busy("STS is throttling credvend's calls", reason: "throttled"))
            }
            attempt += 1
        }
    }
}
