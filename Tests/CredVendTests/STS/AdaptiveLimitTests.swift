import Testing

@testable import CredVendCore

@Suite struct AdaptiveLimitTests {
    @Test func startsAtTheInitialLimitWithinItsBounds() {
        #expect(AdaptiveLimit(initial: 8, maximum: 32).allowed == 8)
        #expect(AdaptiveLimit(initial: 64, maximum: 32).allowed == 32)
        #expect(AdaptiveLimit(initial: 0, maximum: 32).allowed == 1)
        #expect(AdaptiveLimit(initial: 5, minimum: 0, maximum: 0).allowed == 1)
    }

    @Test func eachWindowOfSuccessesAddsOne() {
        var limit = AdaptiveLimit(initial: 4, maximum: 32)
        for _ in 0..<4 { limit.succeeded() }
        // 4 + 1/4 + 1/4.25 + 1/4.49 + 1/4.71 ≈ 4.92: not yet 5, one more success is.
        #expect(limit.allowed == 4)
        limit.succeeded()
        #expect(limit.allowed == 5)
    }

    @Test func successesNeverRaiseItPastTheMaximum() {
        var limit = AdaptiveLimit(initial: 3, maximum: 4)
        for _ in 0..<100 { limit.succeeded() }
        #expect(limit.value == 4)
    }

    @Test func aThrottledAnswerHalvesIt() {
        var limit = AdaptiveLimit(initial: 32, maximum: 32)
        limit.throttled(startedAt: 10, now: 10.03)
        #expect(limit.allowed == 16)
        #expect(limit.lastDecrease == 10.03)
    }

    @Test func aBurstOfThrottledAnswersToCallsStartedBeforeTheCutCutsOnce() {
        var limit = AdaptiveLimit(initial: 32, maximum: 32)
        // 32 calls started at 10.00-10.01, all answered Throttling at about 10.03.
        for i in 0..<32 { limit.throttled(startedAt: 10 + Double(i) / 3200, now: 10.03 + Double(i) / 10_000) }
        #expect(limit.allowed == 16)
        // A call started after the cut, throttled too: STS still wants fewer.
        limit.throttled(startedAt: 10.05, now: 10.08)
        #expect(limit.allowed == 8)
    }

    @Test func neverBelowTheMinimum() {
        var limit = AdaptiveLimit(initial: 4, minimum: 2, maximum: 32)
        for i in 0..<10 { limit.throttled(startedAt: Double(i), now: Double(i) + 0.5) }
        #expect(limit.allowed == 2)
    }

    @Test func recoversOnceThrottlingStops() {
        var limit = AdaptiveLimit(initial: 16, maximum: 16)
        limit.throttled(startedAt: 1, now: 1.1)
        limit.throttled(startedAt: 1.2, now: 1.3)
        #expect(limit.allowed == 4)
        var successes = 0
        while limit.allowed < 16 {
            limit.succeeded()
            successes += 1
        }
        // Additive: about 4 + 5 + ... + 15 successes, one window per step.
        #expect((100...130).contains(successes))
    }
}
