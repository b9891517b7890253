import CredVendCore
import CredVendSync
import Dispatch
import Foundation
import Logging
import Synchronization

/// `STSCallPool`'s state and threads. `condition` is held around every look at `state`:
/// idle workers (and, while STS throttles, workers waiting to call again) wait on it; the
/// reaper sleeps on a condition of its own until the oldest request's deadline (on an empty
/// queue, for `queueWait`). Wake-ups are one `signal` per new job or freed slot, not a
/// broadcast: with 32 idle workers a broadcast per call made a context-switch storm of
/// every STS call; and the signal is sent after the unlock. (`Locked` has no wait
/// with a deadline; NSCondition is a pthread mutex and condition variable, which
/// ThreadSanitizer sees. `state` is also a `Locked`, taken only inside `condition`, so it
/// is never contended.)
final class STSCallPoolCore: Sendable {
    struct Job {
        let run: @Sendable (STSPermit) -> Void
        let refused: @Sendable (APIError) -> Void
        /// Monotonic nanoseconds after which the request is answered 503 if its call has not started.
        let deadline: UInt64
    }

    struct State {
        /// FIFO with a moving head; every job waits the same `queueWait`, so the head's deadline is the earliest.
        var queue: [Job] = []
        var head = 0
        var inFlight = 0
        /// Workers waiting to call STS again after a throttled answer: they go before the queue.
        var retryWaiters = 0
        var idleWorkers = 0
        /// Idle workers signalled that have not woken yet: not idle for `needsWorker`.
        var signalled = 0
        var workers = 0
        var reaperStarted = false
        var stopped = false
        var limit: AdaptiveLimit

        var queued: Int { queue.count - head }

        mutating func pop() -> Job {
            let job = queue[head]
            head += 1
            if head == queue.count {
                queue.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 1024 {
                queue.removeFirst(head)
                head = 0
            }
            return job
        }
    }

    let settings: STSCallPool.Settings
    private let metrics: ServerMetrics?
    private let logger: Logger
    private let unitRandom: @Sendable () -> Double
    private let condition = NSCondition()
    private let state: Locked<State>
    private let reaperWake = NSCondition()
    /// Set, with `reaperWake` held, when the reaper must look again before sleeping.
    private let reaperPoked = Locked(false)
    /// Seconds one STS call took lately (moving average), for `Retry-After`. Behind a lock
    /// of its own, so that an answered call does not queue on `condition` for it.
    private let callSeconds = Locked(0.05)
    /// Whether the in-flight limit is below its maximum (set with `condition` held): while
    /// it is not, an answered call has nothing to raise and takes no look at `state`.
    private let belowMaximum: Atomic<Bool>

    init(
        settings: STSCallPool.Settings,
        metrics: ServerMetrics?,
        logger: Logger,
        unitRandom: @escaping @Sendable () -> Double
    ) {
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
        self.unitRandom = unitRandom
        state = Locked(State(limit: AdaptiveLimit(initial: settings.initialLimit, maximum: settings.concurrency)))
        belowMaximum = Atomic(settings.initialLimit < settings.concurrency)
    }

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    var snapshot: (allowed: Int, inFlight: Int, queued: Int, threads: Int) {
        locked { s in (s.limit.allowed, s.inFlight, s.queued, s.workers + (s.reaperStarted ? 1 : 0)) }
    }

    func submit(_ run: @escaping @Sendable (STSPermit) -> Void, refused: @escaping @Sendable (APIError) -> Void) {
        let deadline = Self.now() &+ UInt64(max(0, Self.seconds(settings.queueWait)) * 1e9)
        enum Decision {
            case refuse(APIError)
            case queued(wake: Wake, spawnWorker: Bool, spawnReaper: Bool, newHead: Bool)
        }
        let decision = locked { s -> Decision in
            // Full: as many wait as may, beyond the requests a free slot is about to take.
            let free = max(0, s.limit.allowed - s.inFlight - s.retryWaiters)
            if s.stopped || s.queued >= settings.queueLimit + free {
                let why = s.stopped ? "credvend is shutting down" : "credvend's queue of STS calls is full"
                return .refuse(busy(why, reason: "queue_full", &s))
            }
            let newHead = s.queued == 0
            s.queue.append(Job(run: run, refused: refused, deadline: deadline))
            let spawnWorker = needsWorker(&s)
            let spawnReaper = !s.reaperStarted
            s.reaperStarted = true
            return .queued(wake: whomToWake(&s), spawnWorker: spawnWorker, spawnReaper: spawnReaper, newHead: newHead)
        }
        switch decision {
        case .refuse(let error):
            refused(error)
        case .queued(let wake, let spawnWorker, let spawnReaper, let newHead):
            // Signalled after the unlock: a worker woken with the lock still held would wake
            // only to block on it (two context switches per STS call instead of one).
            signal(wake)
            if spawnWorker { start("credvend-sts") { self.work() } }
            if spawnReaper {
                start("credvend-sts-reaper") { self.reap() }
            } else if newHead && wakesReaperForNewHead {
                pokeReaper()
            }
        }
    }

    func stop() {
        locked { s in
            s.stopped = true
            condition.broadcast()
        }
        pokeReaper()
    }

    /// A call answered without throttling, after `seconds`.
    func answered(seconds: Double) {
        callSeconds.withLock { $0 = $0 * 0.8 + seconds * 0.2 }
        guard belowMaximum.load(ordering: .acquiring) else { return }
        let (wake, spawn) = locked { s -> (Wake, Bool) in
            let before = s.limit.allowed
            s.limit.succeeded()
            noteLimit(s)
            return (s.limit.allowed > before ? whomToWake(&s) : .none, needsWorker(&s))
        }
        signal(wake)
        if spawn { start("credvend-sts") { self.work() } }
    }

    func throttled(startedAt: UInt64, now: UInt64) {
        let (before, after) = locked { s -> (Int, Int) in
            let before = s.limit.allowed
            s.limit.throttled(startedAt: Double(startedAt) / 1e9, now: Double(now) / 1e9)
            noteLimit(s)
            return (before, s.limit.allowed)
        }
        if after < before {
            logger.warning(
                "STS is throttling; fewer calls in flight",
                metadata: ["limit": "\(after)", "was": "\(before)"]
            )
        }
    }

    /// Gives the permit's slot back and waits for one again (before any queued request)
    /// until its deadline. False when the deadline came first: the slot is then not held.
    func reacquire(_ permit: STSPermit) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        state.withLock { s in
            s.inFlight -= 1
            s.retryWaiters += 1
        }
        permit.held.withLock { $0 = false }
        condition.broadcast()
        defer {
            state.withLock { s in
                s.retryWaiters -= 1
                wakeOne(&s)
            }
        }
        while true {
            let now = Self.now()
            let got = state.withLock { s -> Bool? in
                if s.stopped { return false }
                if s.inFlight < s.limit.allowed {
                    s.inFlight += 1
                    return true
                }
                return now < permit.deadline ? nil : false
            }
            if let got {
                if got { permit.held.withLock { $0 = true } }
                return got
            }
            _ = condition.wait(until: Date(timeIntervalSinceNow: Double(permit.deadline - now) / 1e9))
        }
    }

    /// The 503 for a request refused now, its `Retry-After` from the backlog ahead.
    func busy(_ why: String, reason: String) -> APIError {
        locked { s in busy(why, reason: reason, &s) }
    }

    /// `busy` with `condition` held. `reason`: the `credvend_sts_shed_total` label.
    private func busy(_ why: String, reason: String, _ s: inout State) -> APIError {
        metrics?.stsShed.increment(reason)
        let seconds = BusyRetryAfter.seconds(
            backlog: s.queued + s.inFlight,
            allowed: s.limit.allowed,
            callSeconds: callSeconds.withLock { $0 },
            unitRandom: unitRandom()
        )
        return .unavailable("\(why); try again in \(seconds) s", retryAfter: seconds)
    }

    /// With `condition` held, after the limit moved.
    private func noteLimit(_ s: State) {
        belowMaximum.store(s.limit.allowed < settings.concurrency, ordering: .releasing)
    }

    /// A request waits, a slot is free, and no worker is idle to take it.
    private func needsWorker(_ s: inout State) -> Bool {
        guard s.queued > 0, s.idleWorkers <= s.signalled, s.workers < settings.concurrency,
            s.inFlight < s.limit.allowed
        else {
            return false
        }
        s.workers += 1
        return true
    }

    private func work() {
        condition.lock()
        while true {
            enum Next {
                case stop, wait
                case run(Job)
            }
            let next = state.withLock { s -> Next in
                if s.stopped {
                    s.workers -= 1
                    return .stop
                }
                guard s.queued > 0, s.inFlight < s.limit.allowed, s.retryWaiters == 0 else {
                    s.idleWorkers += 1
                    return .wait
                }
                s.inFlight += 1
                return .run(s.pop())
            }
            switch next {
            case .stop:
                condition.unlock()
                return
            case .wait:
                condition.wait()
                state.withLock { s in
                    s.idleWorkers -= 1
                    s.signalled = max(0, s.signalled - 1)
                }
            case .run(let job):
                let permit = STSPermit(core: self, deadline: job.deadline)
                condition.unlock()
                job.run(permit)
                condition.lock()
                if permit.held.withLock({ $0 }) {
                    // This worker takes the next job itself; only a waiting retry needs waking.
                    let retries = state.withLock { s -> Bool in
                        s.inFlight -= 1
                        return s.retryWaiters > 0
                    }
                    if retries { condition.broadcast() }
                }
            }
        }
    }

    /// How long the reaper sleeps on an empty queue, in nanoseconds: `queueWait` (at least
    /// 50 ms). A request queued during that nap has a deadline after its end, so the reaper
    /// needs no wake-up for it: poking it whenever the queue stopped being empty cost a
    /// thread wake-up per STS call, when nearly every request finds an idle worker.
    private var emptyQueueNap: UInt64 { UInt64(max(0.05, Self.seconds(settings.queueWait)) * 1e9) }

    /// With a `queueWait` shorter than the nap, a new head's deadline may come first: the reaper is poked.
    private var wakesReaperForNewHead: Bool { Self.seconds(settings.queueWait) < 0.05 }

    /// Answers every request whose deadline passed before its call could start.
    private func reap() {
        while true {
            let now = Self.now()
            let (stopped, expired, next) = locked { s -> (Bool, [(Job, APIError)], UInt64?) in
                if s.stopped {
                    var rest: [(Job, APIError)] = []
                    while s.queued > 0 {
                        rest.append((s.pop(), busy("credvend is shutting down", reason: "queue_wait", &s)))
                    }
                    return (true, rest, nil)
                }
                var expired: [(Job, APIError)] = []
                while s.queued > 0, s.queue[s.head].deadline <= now {
                    let job = s.pop()
                    let why = "no STS call could start within \(Self.seconds(settings.queueWait)) s"
                    expired.append((job, busy(why, reason: "queue_wait", &s)))
                }
                return (false, expired, s.queued > 0 ? s.queue[s.head].deadline : nil)
            }
            for (job, error) in expired { job.refused(error) }
            if stopped { return }
            guard expired.isEmpty else { continue }
            // The nap counts from before the look at the queue, so it ends before the deadline
            // of any request that look missed.
            let until = next ?? now &+ emptyQueueNap
            reaperWake.lock()
            if !reaperPoked.withLock({ $0 }) {
                let now = Self.now()
                if until > now { _ = reaperWake.wait(until: Date(timeIntervalSinceNow: Double(until - now) / 1e9)) }
            }
            reaperPoked.withLock { $0 = false }
            reaperWake.unlock()
        }
    }

    /// `body` on the state, with `condition` held.
    private func locked<T>(_ body: (inout State) -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return state.withLock { body(&$0) }
    }

    /// Whom a new job or a freed slot wakes: nobody, one idle worker, or every waiter.
    enum Wake {
        case none, one, all
    }

    /// With `condition` held: one idle worker, or every waiter while a retry waits (it goes
    /// first). The idle worker is counted as signalled here, so that two decisions never
    /// pick the same sleeper; `signal` may then run after the unlock.
    private func whomToWake(_ s: inout State) -> Wake {
        if s.retryWaiters > 0 { return .all }
        guard s.idleWorkers > s.signalled else { return .none }
        s.signalled += 1
        return .one
    }

    private func signal(_ wake: Wake) {
        switch wake {
        case .none: break
        case .one: condition.signal()
        case .all: condition.broadcast()
        }
    }

    /// `whomToWake` and `signal` at once, with `condition` held.
    private func wakeOne(_ s: inout State) { signal(whomToWake(&s)) }

    private func pokeReaper() {
        reaperWake.lock()
        reaperPoked.withLock { $0 = true }
        reaperWake.signal()
        reaperWake.unlock()
    }

    private func start(_ name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.name = name
        thread.start()
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
