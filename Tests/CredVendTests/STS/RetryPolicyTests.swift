import Testing

@testable import CredVendCore

@Suite struct RetryPolicyTests {
    @Test func defaults() {
        let policy = RetryPolicy.default
        #expect(policy.maxAttempts == 3)
        #expect(policy.ceiling(afterAttempt: 1) == .milliseconds(100))
        #expect(policy.ceiling(afterAttempt: 2) == .milliseconds(200))
        #expect(policy.ceiling(afterAttempt: 3) == .milliseconds(400))
        #expect(policy.ceiling(afterAttempt: 10) == .seconds(2))
        #expect(policy.ceiling(afterAttempt: 10_000) == .seconds(2))
    }

    @Test func fullJitterScalesTheCeiling() {
        let policy = RetryPolicy()
        #expect(policy.delay(afterAttempt: 1) { 0 } == .zero)
        #expect(policy.delay(afterAttempt: 1) { 0.5 } == .milliseconds(50))
        #expect(policy.delay(afterAttempt: 2) { 0.25 } == .milliseconds(50))
        #expect(policy.delay(afterAttempt: 2) { 0.999 } == .microseconds(199_800))
        #expect(policy.delay(afterAttempt: 1) { 7 } == .milliseconds(100))  // clamped
        #expect(policy.delay(afterAttempt: 1) { -1 } == .zero)
    }

    @Test func threeAttemptsMeanTwoWaits() {
        let policy = RetryPolicy()
        var draws = [0.5, 0.5, 0.5].makeIterator()
        #expect(policy.delays { draws.next()! } == [.milliseconds(50), .milliseconds(100)])
        #expect(policy.delay(afterAttempt: 3) { 0.5 } == nil)
        #expect(policy.delay(afterAttempt: 0) { 0.5 } == nil)
        #expect(RetryPolicy(maxAttempts: 1).delays { 0.5 }.isEmpty)
        #expect(RetryPolicy(maxAttempts: 0).maxAttempts == 1)
    }

    @Test func randomGeneratorStaysInRange() {
        let policy = RetryPolicy(maxAttempts: 6, baseDelay: .milliseconds(100), maxDelay: .seconds(1))
        var generator = SplitMix64(seed: 42)
        var seen = Set<Duration>()
        for _ in 0..<1_000 {
            for attempt in 1..<6 {
                let delay = policy.delay(afterAttempt: attempt, using: &generator)!
                #expect(delay >= .zero && delay < policy.ceiling(afterAttempt: attempt))
                seen.insert(delay)
            }
        }
        #expect(seen.count > 1_000)  // jittered, not fixed
    }

    @Test func retriesOnlyRetryableErrorsWhileAttemptsRemain() {
        let policy = RetryPolicy()
        let throttled = STSError(code: "Throttling", message: "Rate exceeded", httpStatus: 400)
        let denied = STSError(code: "AccessDenied", message: "no", httpStatus: 403)
        #expect(policy.shouldRetry(throttled, afterAttempt: 1))
        #expect(policy.shouldRetry(throttled, afterAttempt: 2))
        #expect(!policy.shouldRetry(throttled, afterAttempt: 3))
        #expect(!policy.shouldRetry(denied, afterAttempt: 1))
        #expect(policy.shouldRetry(.network("timeout"), afterAttempt: 1))
    }
}
