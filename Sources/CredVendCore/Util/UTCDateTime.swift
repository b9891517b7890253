/// A UTC date and time of day in the proleptic Gregorian calendar, converted to and
/// from seconds since 1970 in Swift (H. Hinnant's days-from-civil algorithms) rather
/// than with gmtime_r and timegm, whose pointer arguments have no place in a pure target.
struct UTCDateTime: Equatable {
    var year: Int, month: Int, day: Int
    var hour: Int, minute: Int, second: Int

    init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        (self.year, self.month, self.day, self.hour, self.minute, self.second) = (
            year, month, day, hour, minute, second
        )
    }

    /// `value` as `width` zero-padded decimal digits, appended to `bytes`: timestamps
    /// written without String(format:) (an NSString per call) or padded substrings.
    static func appendDigits(_ value: Int, width: Int, to bytes: inout [UInt8]) {
        var v = max(0, value)
        let end = bytes.count + width
        bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width))
        for i in stride(from: end - 1, through: end - width, by: -1) {
            bytes[i] = UInt8(ascii: "0") + UInt8(v % 10)
            v /= 10
        }
    }

    /// The fields of `seconds` since 1970-01-01T00:00:00Z.
    init(secondsSince1970 seconds: Int) {
        let (q, r) = seconds.quotientAndRemainder(dividingBy: 86_400)
        let days = r < 0 ? q - 1 : q
        let time = r < 0 ? r + 86_400 : r
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let m = mp < 10 ? mp + 3 : mp - 9
        self.init(
            year: yoe + era * 400 + (m <= 2 ? 1 : 0),
            month: m,
            day: doy - (153 * mp + 2) / 5 + 1,
            hour: time / 3600,
            minute: time / 60 % 60,
            second: time % 60
        )
    }

    /// Seconds since 1970; out-of-range fields carry over as timegm's do (day 30 of
    /// February is in March, second 60 is the next minute).
    var secondsSince1970: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return days * 86_400 + hour * 3600 + minute * 60 + second
    }
}
