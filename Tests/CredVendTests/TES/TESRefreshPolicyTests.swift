import Foundation
import Testing

@testable import CredVendCore

@Suite struct TESRefreshPolicyTests {
    let standard = TESRefreshPolicy(refreshBuffer: 900)
    let forbidden = IoTCredentialError(.forbidden, httpStatus: 403, "no")
    let down = IoTCredentialError(.network, "refused")

    @Test func refreshesTheBufferBeforeExpiryWithJitter() {
        #expect(standard.refreshDelay(lifetime: 3600, unitRandom: 0) == 2700)
        #expect(standard.refreshDelay(lifetime: 3600, unitRandom: 0.5) == 2670)
        #expect(standard.refreshDelay(lifetime: 3600, unitRandom: 1) == 2640)  // jitter at most 60 s
        #expect(standard.refreshDelay(lifetime: 43200, unitRandom: 0) == 42300)
        let small = TESRefreshPolicy(refreshBuffer: 3)
        #expect(small.refreshDelay(lifetime: 10, unitRandom: 0) == 7)
        #expect(abs(small.refreshDelay(lifetime: 10, unitRandom: 1) - 6.7) < 1e-9)  // 10 % of the buffer
    }

    @Test func shortLivedCredentialsRefreshAtHalfTheirLifetime() {
        #expect(standard.refreshDelay(lifetime: 1800, unitRandom: 0) == 900)
        #expect(standard.refreshDelay(lifetime: 900, unitRandom: 0) == 450)
        #expect(standard.refreshDelay(lifetime: 900, unitRandom: 1) == 360)
        let small = TESRefreshPolicy(refreshBuffer: 3)
        #expect(small.refreshDelay(lifetime: 6, unitRandom: 0) == 3)
        #expect(abs(small.refreshDelay(lifetime: 6, unitRandom: 1) - 2.4) < 1e-9)
    }

    @Test func neverATightLoop() {
        #expect(standard.refreshDelay(lifetime: 0.5, unitRandom: 0) == TESRefreshPolicy.minimumInterval)
        #expect(standard.refreshDelay(lifetime: -10, unitRandom: 0) == TESRefreshPolicy.minimumInterval)
        let tiny = TESRefreshPolicy(refreshBuffer: 1)
        for failures in 1...50 {
            for u in [0.0, 0.5, 0.999] {
                #expect(tiny.retryDelay(afterFailures: failures, down, remaining: nil, unitRandom: u) >= 1)
                #expect(standard.retryDelay(afterFailures: failures, forbidden, remaining: 0.01, unitRandom: u) >= 1)
            }
        }
    }

    @Test func refusalsBackOffExponentiallyToFiveMinutes() {
        let waits = (1...10).map { standard.retryDelay(afterFailures: $0, forbidden, remaining: nil, unitRandom: 1) }
        #expect(waits == [5, 10, 20, 40, 80, 160, 300, 300, 300, 300])
        // Equal jitter: each wait lies in [ceiling/2, ceiling].
        #expect(standard.retryDelay(afterFailures: 1, forbidden, remaining: nil, unitRandom: 0) == 2.5)
        #expect(standard.retryDelay(afterFailures: 3, forbidden, remaining: nil, unitRandom: 0.5) == 15)
        #expect(standard.retryDelay(afterFailures: 1000, forbidden, remaining: nil, unitRandom: 0) == 150)
    }

    @Test func passingFailuresBackOffToAFifthOfTheBuffer() {
        let waits = (1...8).map { standard.retryDelay(afterFailures: $0, down, remaining: nil, unitRandom: 1) }
        #expect(waits == [1, 2, 4, 8, 16, 32, 60, 60])  // 900 / 5 = 180, capped at 60
        let small = TESRefreshPolicy(refreshBuffer: 3)
        #expect(
            (1...5).map { small.retryDelay(afterFailures: $0, down, remaining: nil, unitRandom: 1) } == [1, 1, 1, 1, 1]
        )
        let mid = TESRefreshPolicy(refreshBuffer: 100)
        #expect(mid.retryDelay(afterFailures: 10, down, remaining: nil, unitRandom: 1) == 20)
    }

    @Test func noWaitRunsPastTheServedCredentials() {
        #expect(standard.retryDelay(afterFailures: 8, forbidden, remaining: 42, unitRandom: 1) == 42)
        #expect(standard.retryDelay(afterFailures: 8, forbidden, remaining: 4000, unitRandom: 1) == 300)
        #expect(standard.retryDelay(afterFailures: 1, down, remaining: 0.2, unitRandom: 1) == 1)
    }
}
