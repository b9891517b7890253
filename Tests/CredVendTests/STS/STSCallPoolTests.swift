import CredVendSync
import Dispatch
import Foundation
import Glibc
import Logging
import Testing

@testable import CredVend
@testable import CredVendCore

/// The pool on its own: bounded calls, FIFO, deadlines, no thread of its own but the
/// reaper. Through the handler: VendingServiceBusyTests.
@Suite struct STSCallPoolTests {
    private let logger = Logger(label: "test")

    /// A job's work, on a thread of its own as a transfer would be: `done` after `seconds`.
    private static func later(_ seconds: Double, _ body: @escaping @Sendable () -> Void) {
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: seconds)
            body()
        }
    }

    @Test func neverMoreCallsInFlightThanItsConcurrencyAndNoWorkerThreads() {
        let pool = STSCallPool(.init(concurrency: 3, queueLimit: 100, queueWait: .seconds(20)), logger: logger)
        let running = Locked((now: 0, peak: 0, refused: 0))
        let done = DispatchSemaphore(value: 0)
        for _ in 0..<20 {
            pool.submit(
                { permit in
                    running.withLock {
                        $0.now += 1
                        $0.peak = max($0.peak, $0.now)
                    }
                    Self.later(0.01) {
                        running.withLock { $0.now -= 1 }
                        permit.done()
                        done.signal()
                    }
                },
                refused: { _ in
                    running.withLock { $0.refused += 1 }
                    done.signal()
                }
            )
        }
        for _ in 0..<20 { #expect(done.wait(timeout: .now() + 20) == .success) }
        #expect(running.withLock { $0.peak } == 3)
        #expect(running.withLock { $0.refused } == 0)
        #expect(pool.state.threads == 1, "the reaper only")
        #expect(pool.state.inFlight == 0)
    }

    /// No hand-off to another thread: the call that gives its slot back starts the next.
    @Test func aQueuedJobStartsOnTheThreadThatFreesItsSlot() {
        let pool = STSCallPool(.init(concurrency: 1, queueLimit: 10, queueWait: .seconds(20)), logger: logger)
        let first = Locked<STSPermit?>(nil)
        pool.submit({ permit in first.withLock { $0 = permit } }, refused: { _ in })
        let ranOn = Locked<pthread_t?>(nil)
        let freedOn = Locked<pthread_t?>(nil)
        let ran = DispatchSemaphore(value: 0)
        pool.submit(
            { permit in
                ranOn.withLock { $0 = pthread_self() }
                permit.done()
                ran.signal()
            },
            refused: { _ in }
        )
        #expect(pool.state.queued == 1, "the one slot is taken")
        let freer = Thread {
            freedOn.withLock { $0 = pthread_self() }
            let permit = first.withLock { p in
                defer { p = nil }
                return p
            }
            permit?.done()
        }
        freer.start()
        #expect(ran.wait(timeout: .now() + 10) == .success)
        #expect(ranOn.withLock { $0 } != nil)
        #expect(ranOn.withLock { $0 } == freedOn.withLock { $0 })
    }

    /// A job that ends at once hands the slot to the next without recursing into it.
    @Test func jobsThatEndAtOnceRunInOrderWithoutRecursion() {
        let pool = STSCallPool(.init(concurrency: 1, queueLimit: 5000, queueWait: .seconds(20)), logger: logger)
        let blocker = Locked<STSPermit?>(nil)
        pool.submit({ permit in blocker.withLock { $0 = permit } }, refused: { _ in })
        let order = Locked<[Int]>([])
        for i in 0..<3000 {
            pool.submit(
                { permit in
                    order.withLock { $0.append(i) }
                    permit.done()
                },
                refused: { _ in }
            )
        }
        blocker.withLock { p in
            p?.done()
            p = nil
        }
        #expect(order.withLock { $0 } == Array(0..<3000))
        #expect(pool.state.inFlight == 0)
    }

    @Test func aPermitDroppedWithoutDoneGivesItsSlotBack() {
        let pool = STSCallPool(.init(concurrency: 1, queueLimit: 10, queueWait: .seconds(20)), logger: logger)
        pool.submit({ _ in }, refused: { _ in })
        let ran = Locked(false)
        pool.submit({ _ in ran.withLock { $0 = true } }, refused: { _ in })
        #expect(ran.withLock { $0 })
        #expect(pool.state.inFlight == 0)
    }

    @Test func aRequestWaitingPastItsDeadlineIsRefusedWhileTheSlotIsTaken() {
        let pool = STSCallPool(
            .init(concurrency: 1, queueLimit: 10, queueWait: .milliseconds(100)),
            logger: logger,
            unitRandom: { 0 }
        )
        let held = Locked<STSPermit?>(nil)
        let refusal = Locked<APIError?>(nil)
        let answered = DispatchSemaphore(value: 0)
        pool.submit({ permit in held.withLock { $0 = permit } }, refused: { _ in })
        pool.submit(
            { _ in answered.signal() },
            refused: { e in
                refusal.withLock { $0 = e }
                answered.signal()
            }
        )
        #expect(answered.wait(timeout: .now() + 5) == .success)
        let error = refusal.withLock { $0 }
        #expect(error?.status == 503)
        #expect(error?.code == "unavailable")
        #expect(error?.headers.first { $0.0 == "Retry-After" }?.1 == "1")
        held.withLock { $0 = nil }
    }

    /// The reaper naps on an empty queue instead of being woken for every new request: one
    /// queued during its nap is still refused once its own wait is over.
    @Test func aRequestQueuedWhileTheReaperNapsIsRefusedAtItsDeadline() {
        let pool = STSCallPool(
            .init(concurrency: 1, queueLimit: 10, queueWait: .milliseconds(100)),
            logger: logger,
            unitRandom: { 0 }
        )
        let held = Locked<STSPermit?>(nil)
        pool.submit({ permit in held.withLock { $0 = permit } }, refused: { _ in })
        Thread.sleep(forTimeInterval: 0.25)  // the queue is empty: the reaper is napping
        let refused = DispatchSemaphore(value: 0)
        let ran = Locked(false)
        pool.submit({ _ in ran.withLock { $0 = true } }, refused: { _ in refused.signal() })
        #expect(refused.wait(timeout: .now() + 5) == .success, "refused while the only slot is still taken")
        held.withLock { $0 = nil }
        #expect(!ran.withLock { $0 })
    }

    /// After `Throttling`, the call is made again before any request that queued meanwhile.
    @Test func aThrottledCallGoesAgainBeforeTheQueue() {
        let pool = STSCallPool(.init(concurrency: 1, queueLimit: 10, queueWait: .seconds(20)), logger: logger)
        let events = Locked<[String]>([])
        let finished = DispatchSemaphore(value: 0)
        let attempts = Locked(0)
        let answer = Locked<(@Sendable (Result<Int, STSError>) -> Void)?>(nil)
        pool.submit(
            { permit in
                permit.paced(
                    { reply in
                        let n = attempts.withLock { a in
                            a += 1
                            return a
                        }
                        events.withLock { $0.append("A call \(n)") }
                        if n == 1 { answer.withLock { $0 = reply } } else { reply(.success(n)) }
                    },
                    completion: { outcome in
                        if case .answered(.success(let n)) = outcome { events.withLock { $0.append("A got \(n)") } }
                        finished.signal()
                    }
                )
            },
            refused: { _ in }
        )
        pool.submit(
            { permit in
                events.withLock { $0.append("B") }
                permit.done()
                finished.signal()
            },
            refused: { _ in }
        )
        let throttled = STSError(code: "Throttling", message: "Rate exceeded", httpStatus: 400, redacting: [])
        answer.withLock { $0 }?(.failure(throttled))
        #expect(finished.wait(timeout: .now() + 10) == .success)
        #expect(finished.wait(timeout: .now() + 10) == .success)
        #expect(events.withLock { $0 } == ["A call 1", "A call 2", "A got 2", "B"])
    }

    /// A throttled call waiting for a slot past its request's deadline is a 503, not a hang.
    @Test func aThrottledCallThatCannotGoAgainBeforeItsDeadlineIsBusy() {
        let pool = STSCallPool(
            .init(concurrency: 2, queueLimit: 10, queueWait: .milliseconds(200)),
            logger: logger,
            unitRandom: { 0 }
        )
        let outcome = Locked<STSPermit.Outcome<Int>?>(nil)
        let finished = DispatchSemaphore(value: 0)
        let throttled = STSError(code: "Throttling", message: "Rate exceeded", httpStatus: 400, redacting: [])
        // The cut leaves one slot, and the other job holds it.
        let holder = Locked<STSPermit?>(nil)
        pool.submit({ permit in holder.withLock { $0 = permit } }, refused: { _ in })
        pool.submit(
            { permit in
                permit.paced(
                    { reply in reply(.failure(throttled)) },
                    completion: { o in
                        outcome.withLock { $0 = o }
                        finished.signal()
                    }
                )
            },
            refused: { _ in }
        )
        #expect(finished.wait(timeout: .now() + 5) == .success)
        guard case .busy(let error)? = outcome.withLock({ $0 }) else {
            Issue.record("expected a 503, got \(String(describing: outcome.withLock { $0 }))")
            return
        }
        #expect(error.status == 503)
        #expect(error.message.contains("throttling"))
        holder.withLock { $0 = nil }
    }
}
