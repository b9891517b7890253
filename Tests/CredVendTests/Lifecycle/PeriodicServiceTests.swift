import Foundation
import ServiceLifecycle
import ServiceLifecycleTestKit
import Testing

@testable import CredVend

/// Every loop is a `Service`: a graceful shutdown ends it, even mid-sleep.
@Suite struct PeriodicServiceTests {
    struct TimedOut: Error {}

    @Test func theLoopEndsOnGracefulShutdown() async throws {
        let steps = Counter()
        // An hour between steps: only the shutdown can end the sleep in time.
        let service = PeriodicService(name: "test-loop") {
            steps.increment()
            return 3600
        }
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    try await service.run()
                    return true
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(10))
                    return false
                }
                while steps.current == 0 { try await Task.sleep(for: .milliseconds(5)) }
                trigger.triggerGracefulShutdown()
                let ended = try await group.next()
                group.cancelAll()
                #expect(ended == true, "the loop was still sleeping 10 s after the shutdown")
            }
        }
        #expect(steps.current == 1)
    }
}
