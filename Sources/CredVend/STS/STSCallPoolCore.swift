import CredVendCore
import Dispatch
import Foundation
import Logging

/// `STSCallPool`'s state and threads. One `NSCondition` guards the state: idle workers
/// (and, while STS throttles, workers waiting to call again) wait on it; the reaper
/// sleeps on a condition of its own until the oldest request's deadline. Wake-ups are
/// one `signal` per new job or freed slot, not a broadcast: with 32 idle workers a
/// broadcast per call made a context switch storm of every STS call. (`Locked` has no
/// wait with a deadline; NSCondition is a pthread mutex and condition variable, which
/// ThreadSanitizer sees.)
///
/// @unchecked Sendable: every `var` is read and written only with `condition` locked,
/// but `reaperPoked`, only with `reaperWake` locked.
final class STSCallPoolCore: @unchecked Sendable {
    struct Job {
        let run: @Sendable (STSPermit) -> Void
        let refused: @Sendable (APIError) -> Void
        /// Monotonic nanoseconds after which the request is answered 503 if its call has not started.
        let deadline: UInt64
    }

    let settings: STSCallPool.Settings
    private let metrics: ServerMetrics?
    private let logger: Logger
    private let unitRandom: @Sendable () -> Double
    private let condition = NSCondition()
    private let reaperWake = NSCondition()
    private var reaperPoked = false
    /// FIFO with a moving head; every job waits the same `queueWait`, so the head's deadline is the earliest.
    private var queue: [Job] = []
    private var head = 0
    private var inFlight = 0
    /// Workers waiting to call STS again after a throttled answer: they go before the queue.
    private var retryWaiters = 0
    private var idleWorkers = 0
    /// Idle workers signalled that have not woken yet: not idle for `needsWorker`.
    private var signalled = 0
    private var workers = 0
    private var reaperStarted = false
    private var stopped = false
    private var limit: AdaptiveLimit
    /// Seconds one STS call took lately (moving average), for `Retry-After`.
    private var callSeconds = 0.05

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
        limit = AdaptiveLimit(initial: settings.initialLimit, maximum: settings.concurrency)
    }

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    var state: (allowed: Int, inFlight: Int, queued: Int, threads: Int) {
        locked { (limit.allowed, inFlight, queue.count - head, workers + (reaperStarted ? 1 : 0)) }
    }

    func submit(_ run: @escaping @Sendable (STSPermit) -> Void, refused: @escaping @Sendable (APIError) -> Void) {
        let deadline = Self.now() &+ UInt64(max(0, Self.seconds(settings.queueWait)) * 1e9)
        condition.lock()
        // Full: as many wait as may, beyond the requests a free slot is about to take.
        let free = max(0, limit.allowed - inFlight - retryWaiters)
        if stopped || queue.count - head >= settings.queueLimit + free {
            let error = busy(
                stopped ? "credvend is shutting down" : "credvend's queue of STS calls is full",
                reason: "queue_full",
                locked: true
            )
            condition.unlock()
            return refused(error)
        }
        let newHead = head == queue.count
        queue.append(Job(run: run, refused: refused, deadline: deadline))
        let spawnWorker = needsWorker()
        let spawnReaper = !reaperStarted
        reaperStarted = true
        wakeOne()
        condition.unlock()
        if spawnWorker { start("credvend-sts") { self.work() } }
        if spawnReaper {
            start("credvend-sts-reaper") { self.reap() }
        } else if newHead {
            pokeReaper()  // it sleeps until the old head's deadline, or for good on an empty queue
        }
    }

    func stop() {
        locked {
            stopped = true
            condition.broadcast()
        }
        pokeReaper()
    }

    /// A call answered without throttling, after `seconds`.
    func answered(seconds: Double) {
        let spawn = locked { () -> Bool in
            let before = limit.allowed
            limit.succeeded()
            callSeconds = callSeconds * 0.8 + seconds * 0.2
            if limit.allowed > before { wakeOne() }
            return needsWorker()
        }
        if spawn { start("credvend-sts") { self.work() } }
    }

    func throttled(startedAt: UInt64, now: UInt64) {
        let (before, after) = locked { () -> (Int, Int) in
            let before = limit.allowed
            limit.throttled(startedAt: Double(startedAt) / 1e9, now: Double(now) / 1e9)
            return (before, limit.allowed)
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
        inFlight -= 1
        permit.held = false
        retryWaiters += 1
        condition.broadcast()
        defer {
            retryWaiters -= 1
            wakeOne()
        }
        while !stopped {
            if inFlight < limit.allowed {
                inFlight += 1
                permit.held = true
                return true
            }
            let now = Self.now()
            guard now < permit.deadline else { return false }
            _ = condition.wait(until: Date(timeIntervalSinceNow: Double(permit.deadline - now) / 1e9))
        }
        return false
    }

    /// The 503 for a request refused now, its `Retry-After` from the backlog ahead.
    /// `reason`: the `credvend_sts_shed_total` label.
    func busy(_ why: String, reason: String, locked isLocked: Bool = false) -> APIError {
        metrics?.stsShed.increment(reason)
        if !isLocked { condition.lock() }
        let seconds = BusyRetryAfter.seconds(
            backlog: queue.count - head + inFlight,
            allowed: limit.allowed,
            callSeconds: callSeconds,
            unitRandom: unitRandom()
        )
        if !isLocked { condition.unlock() }
        return .unavailable("\(why); try again in \(seconds) s", retryAfter: seconds)
    }

    /// With `condition` locked: a request waits, a slot is free, and no worker is idle to take it.
    private func needsWorker() -> Bool {
        guard head < queue.count, idleWorkers <= signalled, workers < settings.concurrency, inFlight < limit.allowed
        else {
            return false
        }
        workers += 1
        return true
    }

    private func work() {
        condition.lock()
        while !stopped {
            guard head < queue.count, inFlight < limit.allowed, retryWaiters == 0 else {
                idleWorkers += 1
                condition.wait()
                idleWorkers -= 1
                signalled = max(0, signalled - 1)
                continue
            }
            let job = pop()
            inFlight += 1
            let permit = STSPermit(core: self, deadline: job.deadline)
            condition.unlock()
            job.run(permit)
            condition.lock()
            if permit.held {
                inFlight -= 1
                // This worker takes the next job itself; only a waiting retry needs waking.
                if retryWaiters > 0 { condition.broadcast() }
            }
        }
        workers -= 1
        condition.unlock()
    }

    /// Answers every request whose deadline passed before its call could start.
    private func reap() {
        while true {
            condition.lock()
            if stopped { break }
            let now = Self.now()
            var expired: [Job] = []
            while head < queue.count, queue[head].deadline <= now { expired.append(pop()) }
            let errors = expired.map { _ in
                busy(
                    "no STS call could start within \(Self.seconds(settings.queueWait)) s",
                    reason: "queue_wait",
                    locked: true
                )
            }
            let next = head < queue.count ? queue[head].deadline : nil
            condition.unlock()
            for (job, error) in zip(expired, errors) { job.refused(error) }
            guard expired.isEmpty else { continue }
            reaperWake.lock()
            if !reaperPoked {
                if let next {
                    let now = Self.now()
                    if next > now { _ = reaperWake.wait(until: Date(timeIntervalSinceNow: Double(next - now) / 1e9)) }
                } else {
                    reaperWake.wait()
                }
            }
            reaperPoked = false
            reaperWake.unlock()
        }
        var rest: [Job] = []
        while head < queue.count { rest.append(pop()) }
        let errors = rest.map { _ in busy("credvend is shutting down", reason: "queue_wait", locked: true) }
        condition.unlock()
        for (job, error) in zip(rest, errors) { job.refused(error) }
    }

    /// With `condition` locked.
    private func pop() -> Job {
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

    private func locked<T>(_ body: () -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body()
    }

    /// With `condition` locked: one idle worker, or every waiter while a retry waits (it goes first).
    private func wakeOne() {
        if retryWaiters > 0 {
            condition.broadcast()
        } else if idleWorkers > signalled {
            signalled += 1
            condition.signal()
        }
    }

    private func pokeReaper() {
        reaperWake.lock()
        reaperPoked = true
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
