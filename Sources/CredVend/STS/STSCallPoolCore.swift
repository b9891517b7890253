import CredVendCore
import CredVendSync
import CredVendSystem
import Dispatch
import Foundation
import Logging
import Synchronization

/// `STSCallPool`'s state. No thread of its own runs jobs: a job starts on the thread that
/// finds a slot for it (the submitter's, or the one whose call just ended and gave its slot
/// back), and only one thread at a time hands out slots (`dispatching`), so a job that ends at
/// once never recurses into the next. The reaper, a thread that sleeps until the oldest
/// waiting request's deadline (on an empty queue, for `queueWait`), answers those that waited
/// too long.
final class STSCallPoolCore: Sendable {
    struct Job {
        let run: @Sendable (STSPermit) -> Void
        let refused: @Sendable (APIError) -> Void
        /// Monotonic nanoseconds after which the request is answered 503 if its call has not started.
        let deadline: UInt64
    }

    /// A call STS answered `Throttling`, waiting for a slot to call again.
    struct Retry {
        let permit: STSPermit
        let resume: @Sendable () -> Void
        let expired: @Sendable (APIError) -> Void
    }

    enum Next {
        case job(Job)
        case retry(Retry)
    }

    struct State {
        /// FIFO with a moving head; every job waits the same `queueWait`, so the head's deadline is the earliest.
        var queue: [Job] = []
        var head = 0
        /// They go before the queue.
        var retries: [Retry] = []
        var inFlight = 0
        /// Whether a thread is handing out slots now.
        var dispatching = false
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

        /// The next to start, its slot taken, or nil when none may.
        mutating func next() -> Next? {
            guard !stopped, inFlight < limit.allowed else { return nil }
            if !retries.isEmpty {
                inFlight += 1
                return .retry(retries.removeFirst())
            }
            guard queued > 0 else { return nil }
            inFlight += 1
            return .job(pop())
        }
    }

    let settings: STSCallPool.Settings
    private let metrics: ServerMetrics?
    private let logger: Logger
    private let unitRandom: @Sendable () -> Double
    private let state: Locked<State>
    private let reaperWake = NSCondition()
    /// Set, with `reaperWake` held, when the reaper must look again before sleeping.
    private let reaperPoked = Locked(false)
    /// Seconds one STS call took lately (moving average), for `Retry-After`. Behind a lock
    /// of its own, so that an answered call does not queue on `state` for it.
    private let callSeconds = Locked(0.05)
    /// Whether the in-flight limit is below its maximum (set with `state` locked): while
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
        locked { s in (s.limit.allowed, s.inFlight, s.queued + s.retries.count, s.reaperStarted ? 1 : 0) }
    }

    func submit(_ run: @escaping @Sendable (STSPermit) -> Void, refused: @escaping @Sendable (APIError) -> Void) {
        let deadline = Self.now() &+ UInt64(max(0, settings.queueWait.inSeconds) * 1e9)
        enum Decision {
            case refuse(APIError)
            case queued(spawnReaper: Bool, newHead: Bool)
        }
        let decision = locked { s -> Decision in
            // Full: as many wait as may, beyond the requests a free slot is about to take.
            let free = max(0, s.limit.allowed - s.inFlight - s.retries.count)
            if s.stopped || s.queued >= settings.queueLimit + free {
                let why = s.stopped ? "credvend is shutting down" : "credvend's queue of STS calls is full"
                return .refuse(busy(why, reason: "queue_full", &s))
            }
            let newHead = s.queued == 0
            s.queue.append(Job(run: run, refused: refused, deadline: deadline))
            let spawnReaper = !s.reaperStarted
            s.reaperStarted = true
            return .queued(spawnReaper: spawnReaper, newHead: newHead)
        }
        switch decision {
        case .refuse(let error):
            refused(error)
        case .queued(let spawnReaper, let newHead):
            if spawnReaper {
                startThread(named: "credvend-sts-reaper") { self.reap() }
            } else if newHead && wakesReaperForNewHead {
                pokeReaper()
            }
            dispatch()
        }
    }

    /// Starts what may start, on this thread, unless another thread is already at it (that
    /// one then sees the slot this thread freed or the job it queued, as it looks again).
    func dispatch() {
        let claimed = locked { s -> Bool in
            if s.dispatching { return false }
            s.dispatching = true
            return true
        }
        guard claimed else { return }
        while true {
            let next = locked { s -> Next? in
                let next = s.next()
                if next == nil { s.dispatching = false }
                return next
            }
            switch next {
            case nil:
                return
            case .job(let job)?:
                job.run(STSPermit(core: self, deadline: job.deadline))
            case .retry(let retry)?:
                retry.permit.held.store(true, ordering: .releasing)
                retry.resume()
            }
        }
    }

    /// Gives a permit's slot back, once.
    func release(_ permit: STSPermit) {
        guard permit.held.exchange(false, ordering: .acquiringAndReleasing) else { return }
        locked { s in s.inFlight -= 1 }
        dispatch()
    }

    /// Gives the slot back and waits for one again, before any queued request, until the
    /// request's deadline: then `resume` (on the thread that hands it the slot), or `expired`.
    func retry(
        _ permit: STSPermit,
        resume: @escaping @Sendable () -> Void,
        expired: @escaping @Sendable (APIError) -> Void
    ) {
        let queued = locked { s -> Bool in
            guard !s.stopped, permit.held.exchange(false, ordering: .acquiringAndReleasing) else { return false }
            s.inFlight -= 1
            s.retries.append(Retry(permit: permit, resume: resume, expired: expired))
            return true
        }
        guard queued else {
            release(permit)
            return expired(busy("credvend is shutting down", reason: "queue_wait"))
        }
        // Its deadline may come before the end of the reaper's nap.
        pokeReaper()
        dispatch()
    }

    func stop() {
        locked { s in s.stopped = true }
        pokeReaper()
    }

    /// A call answered without throttling, after `seconds`.
    func answered(seconds: Double) {
        callSeconds.withLock { $0 = $0 * 0.8 + seconds * 0.2 }
        guard belowMaximum.load(ordering: .acquiring) else { return }
        locked { s in
            s.limit.succeeded()
            noteLimit(s)
        }
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

    /// The 503 for a request refused now, its `Retry-After` from the backlog ahead.
    func busy(_ why: String, reason: String) -> APIError {
        locked { s in busy(why, reason: reason, &s) }
    }

    /// `busy` with `state` locked. `reason`: the `credvend_sts_shed_total` label.
    private func busy(_ why: String, reason: String, _ s: inout State) -> APIError {
        metrics?.stsShed.increment(reason)
        let seconds = BusyRetryAfter.seconds(
            backlog: s.queued + s.retries.count + s.inFlight,
            allowed: s.limit.allowed,
            callSeconds: callSeconds.withLock { $0 },
            unitRandom: unitRandom()
        )
        return .unavailable("\(why); try again in \(seconds) s", retryAfter: seconds)
    }

    /// With `state` locked, after the limit moved.
    private func noteLimit(_ s: State) {
        belowMaximum.store(s.limit.allowed < settings.concurrency, ordering: .releasing)
    }

    /// How long the reaper sleeps on an empty queue, in nanoseconds: `queueWait` (at least
    /// 50 ms). A request queued during that nap has a deadline after its end, so the reaper
    /// needs no wake-up for it: poking it whenever the queue stopped being empty cost a
    /// thread wake-up per STS call, when nearly every request finds a free slot.
    private var emptyQueueNap: UInt64 { UInt64(max(0.05, settings.queueWait.inSeconds) * 1e9) }

    /// With a `queueWait` shorter than the nap, a new head's deadline may come first: the reaper is poked.
    private var wakesReaperForNewHead: Bool { settings.queueWait.inSeconds < 0.05 }

    /// What the reaper answers: requests whose deadline passed before their call could start.
    private enum Expired {
        case job(Job, APIError)
        case retry(Retry, APIError)
    }

    /// Answers every request whose deadline passed before its call could start (or start again).
    private func reap() {
        while true {
            let now = Self.now()
            let (stopped, expired, next) = locked { s -> (Bool, [Expired], UInt64?) in
                var expired: [Expired] = []
                if s.stopped {
                    while s.queued > 0 {
                        expired.append(.job(s.pop(), busy("credvend is shutting down", reason: "queue_wait", &s)))
                    }
                    for retry in s.retries {
                        expired.append(.retry(retry, busy("credvend is shutting down", reason: "queue_wait", &s)))
                    }
                    s.retries.removeAll()
                    return (true, expired, nil)
                }
                while s.queued > 0, s.queue[s.head].deadline <= now {
                    let job = s.pop()
                    let why = "no STS call could start within \(settings.queueWait.inSeconds) s"
                    expired.append(.job(job, busy(why, reason: "queue_wait", &s)))
                }
                let (late, waiting) = s.retries.partitioned { $0.permit.deadline <= now }
                s.retries = waiting
                for retry in late {
                    expired.append(.retry(retry, busy("STS is throttling credvend's calls", reason: "throttled", &s)))
                }
                let heads = [s.queued > 0 ? s.queue[s.head].deadline : nil] + s.retries.map { $0.permit.deadline }
                return (false, expired, heads.compactMap { $0 }.min())
            }
            for item in expired {
                switch item {
                case .job(let job, let error): job.refused(error)
                case .retry(let retry, let error): retry.expired(error)
                }
            }
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

    private func locked<T>(_ body: (inout State) -> T) -> T { state.withLock { body(&$0) } }

    private func pokeReaper() {
        reaperWake.lock()
        reaperPoked.withLock { $0 = true }
        reaperWake.signal()
        reaperWake.unlock()
    }
}

extension Array {
    /// The elements that match, then the rest, each in order.
    fileprivate func partitioned(by matches: (Element) -> Bool) -> ([Element], [Element]) {
        var yes: [Element] = []
        var no: [Element] = []
        for e in self {
            if matches(e) { yes.append(e) } else { no.append(e) }
        }
        return (yes, no)
    }
}
