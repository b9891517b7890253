import Foundation
import Testing

@testable import CredVendCore

/// The per-second cache of the signing time's renderings gives what formatting the
/// date itself would, whatever order the times come in.
@Suite struct SigV4DateCacheTests {
    /// 2028-02-29T23:59:59Z, a leap day one second before midnight.
    let lastSecondOfLeapDay = 1_835_481_599

    @Test func aSecondsFractionsShareOneRendering() {
        let cache = SigV4DateCache()
        let start = Double(lastSecondOfLeapDay)
        for fraction in [0.0, 0.25, 0.999] {
            #expect(cache.date(Date(timeIntervalSince1970: start + fraction)).amzDate == "20280229T235959Z")
        }
    }

    @Test func theNextSecondIsRenderedAgain() {
        let cache = SigV4DateCache()
        let first = cache.date(Date(timeIntervalSince1970: 1_440_938_160.5))
        let next = cache.date(Date(timeIntervalSince1970: 1_440_938_161))
        #expect(first.amzDate == "20150830T123600Z")
        #expect(next.amzDate == "20150830T123601Z")
        #expect(next.dateStamp == "20150830")
    }

    @Test func midnightUTCChangesTheDateStamp() {
        let cache = SigV4DateCache()
        let before = cache.date(Date(timeIntervalSince1970: Double(lastSecondOfLeapDay)))
        let after = cache.date(Date(timeIntervalSince1970: Double(lastSecondOfLeapDay + 1)))
        #expect(before.dateStamp == "20280229")
        #expect(after.amzDate == "20280301T000000Z")
        #expect(after.dateStamp == "20280301")
    }

    /// Clocks step back too (NTP): an earlier second is rendered, not served from the cache.
    @Test func anEarlierSecondAfterALaterOne() {
        let cache = SigV4DateCache()
        for second in [lastSecondOfLeapDay + 1, lastSecondOfLeapDay, lastSecondOfLeapDay + 86_400, 0, 0] {
            let date = Date(timeIntervalSince1970: Double(second))
            #expect(cache.date(date) == SigV4Date(date))
        }
    }
}
