import Testing

@testable import CredVendCore

@Suite struct BusyRetryAfterTests {
    @Test func atLeastOneSecondWhenLittleIsAhead() {
        #expect(BusyRetryAfter.seconds(backlog: 0, allowed: 16, callSeconds: 0.03, unitRandom: 0) == 1)
        #expect(BusyRetryAfter.seconds(backlog: 0, allowed: 0, callSeconds: 0, unitRandom: 0) == 1)
    }

    @Test func aboutTheTimeTheBacklogTakesToDrain() {
        // 999 ahead + this one, 10 at a time, 50 ms each: 5 s.
        #expect(BusyRetryAfter.seconds(backlog: 999, allowed: 10, callSeconds: 0.05, unitRandom: 0) == 5)
    }

    @Test func jitterSpreadsTheWaitOverOneMoreWait() {
        let low = BusyRetryAfter.seconds(backlog: 999, allowed: 10, callSeconds: 0.05, unitRandom: 0)
        let mid = BusyRetryAfter.seconds(backlog: 999, allowed: 10, callSeconds: 0.05, unitRandom: 0.5)
        let high = BusyRetryAfter.seconds(backlog: 999, allowed: 10, callSeconds: 0.05, unitRandom: 0.999)
        #expect([low, mid, high] == [5, 8, 10])
        #expect(BusyRetryAfter.seconds(backlog: 0, allowed: 1, callSeconds: 0, unitRandom: 0.5) == 2)
    }

    @Test func cappedAndClamped() {
        #expect(BusyRetryAfter.seconds(backlog: 1_000_000, allowed: 1, callSeconds: 5, unitRandom: 0.9) == 60)
        #expect(BusyRetryAfter.seconds(backlog: 1_000_000, allowed: 1, callSeconds: 5, unitRandom: 0, cap: 10) == 10)
        #expect(BusyRetryAfter.seconds(backlog: -5, allowed: 4, callSeconds: -1, unitRandom: 7) == 2)
    }
}
