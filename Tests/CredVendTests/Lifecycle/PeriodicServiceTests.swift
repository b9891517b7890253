import CredVendSync
import Foundation
import ServiceLifecycle
import ServiceLifecycleTestKit
import Testing

@testable import CredVend

/// Every loop is a `Service`: a graceful shutdown ends it, even mid-sleep; all its steps
/// run on one thread of its own; it sleeps the interval its step returns.
@Suite struct PeriodicServiceTests {
    struct TimedOut: Error {}

    /// Runs `service` until `ready` holds, then shuts it down gracefully; whether it ended
    /// within 10 s of the shutdown.
    private func runUntil(
        _ service: PeriodicService,
        _ ready: @escaping @Sendable () -> Bool
    ) async throws -> Bool {
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    try await service.run()
                    return true
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(60))
                    return false
                }
                while !ready() { try await Task.sleep(for: .milliseconds(5)) }
                trigger.triggerGracefulShutdown()
                let stopped = ContinuousClock.now
                let ended = try await group.next()
                group.cancelAll()
                return ended == true && ContinuousClock.now - stopped < .seconds(10)
            }
        }
    }

    @Test func theLoopEndsOnGracefulShutdown() async throws {
        let steps = Counter()
        // An hour between steps: only the shutdown can end the sleep in time.
        let service = PeriodicService(name: "test-loop") {
            steps.increment()
            return 3600
        }
        let ended = try await runUntil(service) { steps.current > 0 }
        #expect(ended, "the loop was still sleeping 10 s after the shutdown")
        #expect(steps.current == 1)
    }

    @Test func theLoopEndsOnCancellation() async throws {
        let steps = Counter()
        let service = PeriodicService(name: "test-cancel") {
            steps.increment()
            return 3600
        }
        let ended = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                // Only the loop's own task is cancelled, in a group of its own.
                try await withThrowingTaskGroup(of: Void.self) { loop in
                    loop.addTask { try await service.run() }
                    while steps.current == 0 { try await Task.sleep(for: .milliseconds(5)) }
                    loop.cancelAll()
                    try await loop.waitForAll()
                }
                return true
            }
            group.addTask {
                try await Task.sleep(for: .seconds(10))
                return false
            }
            let first = try await group.next()
            group.cancelAll()
            return first == true
        }
        #expect(ended, "the loop was still sleeping 10 s after the cancellation")
        #expect(steps.current == 1)
    }

    @Test func everyStepRunsOnTheSameThread() async throws {
        // The threads themselves are kept, so that no identity is reused by a later thread;
        // the name is read on the step's thread (Foundation reads the calling thread's).
        let threads = Locked<[(thread: Thread, name: String?)]>([])
        let service = PeriodicService(name: "test-one-thread") {
            threads.withLock { $0.append((Thread.current, Thread.current.name)) }
            return 0.001
        }
        let ended = try await runUntil(service) { threads.withLock { $0.count >= 5 } }
        #expect(ended)
        let seen = threads.withLock { $0 }
        #expect(seen.count >= 5)
        #expect(seen.allSatisfy { $0.thread === seen[0].thread }, "a step ran on another thread")
        #expect(seen.allSatisfy { $0.name == "test-one-thread" }, "the steps' thread is not the service's own")
    }

    @Test func theReturnedIntervalSeparatesTheSteps() async throws {
        let starts = Locked<[ContinuousClock.Instant]>([])
        let service = PeriodicService(name: "test-interval") {
            starts.withLock { $0.append(.now) }
            return 0.05
        }
        let ended = try await runUntil(service) { starts.withLock { $0.count >= 3 } }
        #expect(ended)
        let seen = starts.withLock { $0 }
        for (earlier, later) in zip(seen, seen.dropFirst()) {
            #expect(later - earlier >= .milliseconds(50), "the loop stepped before the interval was over")
        }
    }

    @Test(arguments: [-1, TimeInterval.nan, TimeInterval.infinity])
    func aNegativeOrNonFiniteIntervalEndsTheLoop(interval: TimeInterval) async throws {
        let steps = Counter()
        let service = PeriodicService(name: "test-end") {
            steps.increment()
            return interval
        }
        try await service.run()
        #expect(steps.current == 1)
    }
}
