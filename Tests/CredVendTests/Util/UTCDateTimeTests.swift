import Foundation
import Testing

@testable import CredVendCore

@Suite struct UTCDateTimeTests {
    /// Agrees with Foundation's Gregorian calendar from 1900 to 2400, both ways.
    @Test func agreesWithFoundationsCalendar() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var generator = SystemRandomNumberGenerator()
        let samples =
            [-2_208_988_800, -1, 0, 951_782_400, 1_835_481_599, 13_569_465_599]
            + (0..<500).map { _ in Int.random(in: -2_208_988_800...13_569_465_599, using: &generator) }
        for seconds in samples {
            let t = UTCDateTime(secondsSince1970: seconds)
            let c = calendar.dateComponents(
                [.year, .month, .day, .hour, .minute, .second],
                from: Date(timeIntervalSince1970: TimeInterval(seconds))
            )
            #expect(
                [t.year, t.month, t.day, t.hour, t.minute, t.second] == [
                    c.year, c.month, c.day, c.hour, c.minute, c.second,
                ],
                "\(seconds)"
            )
            #expect(t.secondsSince1970 == seconds)
        }
    }

    @Test func outOfRangeFieldsCarryOver() {
        let feb30 = UTCDateTime(year: 2026, month: 2, day: 30, hour: 0, minute: 0, second: 0)
        #expect(
            UTCDateTime(secondsSince1970: feb30.secondsSince1970)
                == UTCDateTime(year: 2026, month: 3, day: 2, hour: 0, minute: 0, second: 0)
        )
    }
}
