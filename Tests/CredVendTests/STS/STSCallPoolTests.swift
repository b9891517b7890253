import CredVendSync
import Dispatch
import Foundation
import Logging
import Testing

@testable import CredVend
@testable import CredVendCore

/// The pool on its own: bounded threads, FIFO, deadlines. Through the handler: VendingServiceBusyTests.
@Suite struct STSCallPoolTests {
    private let logger = Logger(label: "test")

    @Test func neverMoreCallsOrThreadsThanItsConcurrency() {
        let pool = STSCallPool(.init(concurrency: 3, queueLimit: 100, queueWait: .seconds(20)), logger: logger)
        let running = Locked((now: 0, peak: 0, refused: 0))
        let done = DispatchSemaphore(value: 0)
        for _ in 0..<20 {
            pool.submit(
                { _ in
                    running.withLock {
                        $0.now += 1
                        $0.peak = max($0.peak, $0.now)
                    }
                    Thread.sleep(forTimeInterval: 0.01)
                    running.withLock { $0.now -= 1 }
                    done.signal()
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
        #expect(pool.state.threads == 4, "three workers and the reaper")
    }

    @Test func aRequestWaitingPastItsDeadlineIsRefusedWhileTheWorkerIsBusy() {
        let pool = STSCallPool(
            .init(concurrency: 1, queueLimit: 10, queueWait: .milliseconds(100)),
            logger: logger,
            unitRandom: { 0 }
        )
        let release = DispatchSemaphore(value: 0)
        let refusal = Locked<APIError?>(nil)
        let answered = DispatchSemaphore(value: 0)
        pool.submit({ _ in _ = release.wait(timeout: .now() + 10) }, refused: { _ in })
        pool.submit(
            { _ in answered.signal() },
            refused: { e in
                refusal.withLock { $0 = e }
                answered.signal()
            }
        )
        #expect(answered.wait(timeout: .now() + 5) == .success)
        release.signal()
        let error = refusal.withLock { $0 }
        #expect(error?.status == 503)
        #expect(error?.code == "unavailable")
        #expect(error?.headers.first { $0.0 == "Retry-After" }?.1 == "1")
    }

    /// The reaper naps on an empty queue instead of being woken for every new request: one
    /// queued during its nap is still refused once its own wait is over.
    @Test func aRequestQueuedWhileTheReaperNapsIsRefusedAtItsDeadline() {
        let pool = STSCallPool(
            .init(concurrency: 1, queueLimit: 10, queueWait: .milliseconds(100)),
            logger: logger,
            unitRandom: { 0 }
        )
        let release = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        pool.submit(
            { _ in
                started.signal()
                _ = release.wait(timeout: .now() + 10)
            },
            refused: { _ in }
        )
        #expect(started.wait(timeout: .now() + 5) == .success)
        Thread.sleep(forTimeInterval: 0.25)  // the queue is empty: the reaper is napping
        let refused = DispatchSemaphore(value: 0)
        let ran = Locked(false)
        pool.submit({ _ in ran.withLock { $0 = true } }, refused: { _ in refused.signal() })
        #expect(refused.wait(timeout: .now() + 5) == .success, "refused while the only worker is still busy")
        release.signal()
        #expect(!ran.withLock { $0 })
    }
}
