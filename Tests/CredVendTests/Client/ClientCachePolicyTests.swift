import Foundation
import Testing

@testable import CredVendCore

@Suite struct ClientCachePolicyTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    let policy = ClientCachePolicy()

    @Test func longSessionsAreReusedUntilFifteenMinutesBeforeExpiry() {
        let exp = t0.addingTimeInterval(3600)
        #expect(policy.refreshTime(obtained: t0, expiration: exp) == t0.addingTimeInterval(2700))
        #expect(policy.isFresh(obtained: t0, expiration: exp, now: t0.addingTimeInterval(2699)))
        #expect(!policy.isFresh(obtained: t0, expiration: exp, now: t0.addingTimeInterval(2700)))
        // Reused credentials never have 15 minutes or less left, the botocore refresh window.
        for offset in stride(from: 0.0, to: 2700, by: 100) {
            #expect(exp.timeIntervalSince(t0.addingTimeInterval(offset)) > 900)
        }
    }

    @Test func sixteenMinutesLeftMeansOneMinuteOfReuse() {
        let exp = t0.addingTimeInterval(960)
        #expect(policy.refreshTime(obtained: t0, expiration: exp) == t0.addingTimeInterval(60))
        #expect(policy.isFresh(obtained: t0, expiration: exp, now: t0.addingTimeInterval(59)))
        #expect(!policy.isFresh(obtained: t0, expiration: exp, now: t0.addingTimeInterval(61)))
    }

    @Test func shortSessionsAreReusedForHalfOfWhatWasLeft() {
        // A 900 s session, or one the server has had for a while: 14 minutes left on arrival.
        let exp = t0.addingTimeInterval(840)
        #expect(policy.refreshTime(obtained: t0, expiration: exp) == t0.addingTimeInterval(420))
        #expect(policy.isFresh(obtained: t0, expiration: exp, now: t0.addingTimeInterval(419)))
        #expect(!policy.isFresh(obtained: t0, expiration: exp, now: t0.addingTimeInterval(420)))
        let exactly = t0.addingTimeInterval(900)
        #expect(policy.refreshTime(obtained: t0, expiration: exactly) == t0.addingTimeInterval(450))
    }

    @Test func expiredOnArrivalIsNeverFresh() {
        #expect(!policy.isFresh(obtained: t0, expiration: t0, now: t0))
        #expect(!policy.isFresh(obtained: t0, expiration: t0.addingTimeInterval(-10), now: t0))
        #expect(policy.refreshTime(obtained: t0, expiration: t0.addingTimeInterval(-10)) == t0)
    }

    @Test func aRecordFromTheFutureIsNotTrusted() {
        let exp = t0.addingTimeInterval(7200)
        #expect(policy.isFresh(obtained: t0, expiration: exp, now: t0.addingTimeInterval(-299)))
        #expect(!policy.isFresh(obtained: t0, expiration: exp, now: t0.addingTimeInterval(-301)))
    }

    @Test func aCustomBufferAndTheFallbackFloor() {
        let p = ClientCachePolicy(refreshBuffer: 300)
        #expect(p.refreshTime(obtained: t0, expiration: t0.addingTimeInterval(3600)) == t0.addingTimeInterval(3300))
        #expect(p.isUsableFallback(expiration: t0.addingTimeInterval(60), now: t0))
        #expect(!p.isUsableFallback(expiration: t0.addingTimeInterval(59), now: t0))
    }
}

@Suite struct RefreshScheduleTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func afterSuccessWaitUntilThePolicysRefreshTime() {
        let s = RefreshSchedule()
        #expect(
            s.delayAfterSuccess(obtained: t0, expiration: t0.addingTimeInterval(3600), now: t0.addingTimeInterval(2))
                == 2698 + RefreshSchedule.serverTurnoverSlack
        )
        // A short item: half its time, plus at most a tenth of it.
        #expect(s.delayAfterSuccess(obtained: t0, expiration: t0.addingTimeInterval(10), now: t0) == 6)
        #expect(s.delayAfterSuccess(obtained: t0, expiration: nil, now: t0) == 3600)
        // Never a busy loop on something that arrived expired.
        #expect(s.delayAfterSuccess(obtained: t0, expiration: t0, now: t0) == 1)
    }

    @Test func aMaximumIntervalCapsTheWait() {
        let s = RefreshSchedule(maxInterval: 0.05)
        #expect(s.delayAfterSuccess(obtained: t0, expiration: t0.addingTimeInterval(3600), now: t0) == 0.05)
        #expect(s.delayAfterSuccess(obtained: t0, expiration: t0, now: t0) == 0.05)
    }

    @Test func failuresBackOffWithEqualJitter() {
        let s = RefreshSchedule(minRetryDelay: 5, maxRetryDelay: 60)
        #expect(s.delayAfterFailure(failures: 1, unitRandom: 0) == 2.5)
        #expect(s.delayAfterFailure(failures: 1, unitRandom: 0.5) == 3.75)
        #expect(s.delayAfterFailure(failures: 2, unitRandom: 0) == 5)
        #expect(s.delayAfterFailure(failures: 3, unitRandom: 0) == 10)
        #expect(s.delayAfterFailure(failures: 20, unitRandom: 0.999_999) < 60)
        #expect(s.delayAfterFailure(failures: 20, unitRandom: 0) == 30)
    }
}
