public import Foundation

/// AWS credentials, long-lived or temporary. `description` never shows a secret,
/// so a credentials value can be logged by accident without leaking.
public struct AWSCredentials: Sendable, Equatable, CustomStringConvertible {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String?
    /// nil for long-lived keys.
    public var expiration: Date?

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil, expiration: Date? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
    }

    public var description: String {
        "AWSCredentials(accessKeyId: \(accessKeyId), secretAccessKey: <redacted>, sessionToken: \(sessionToken == nil ? "none" : "<redacted>"), expiration: \(expiration.map { ISO8601.string($0) } ?? "none"))"
    }

    /// Seconds of validity left at `now`; `.infinity` for long-lived keys.
    public func remaining(at now: Date) -> TimeInterval {
        expiration.map { $0.timeIntervalSince(now) } ?? .infinity
    }
}

/// The one timestamp format on credvend's wire: `2026-11-24T23:31:37Z`.
public enum ISO8601 {
    public static func string(_ date: Date) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(20)
        append(date, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `string(date)`'s 20 bytes appended to `bytes`, for a body written straight into bytes.
    public static func append(_ date: Date, to bytes: inout [UInt8]) {
        let t = UTCDateTime(secondsSince1970: Int(date.timeIntervalSince1970.rounded(.down)))
        func part(_ value: Int, _ width: Int, then separator: Unicode.Scalar) {
            UTCDateTime.appendDigits(value, width: width, to: &bytes)
            bytes.append(UInt8(ascii: separator))
        }
        part(t.year, 4, then: "-")
        part(t.month, 2, then: "-")
        part(t.day, 2, then: "T")
        part(t.hour, 2, then: ":")
        part(t.minute, 2, then: ":")
        part(t.second, 2, then: "Z")
    }

    /// Accepts `Z` or a numeric offset, with or without fractional seconds. The
    /// `YYYY-MM-DDTHH:MM:SS[.fff]Z` that STS and IoT send is read directly (no ICU
    /// formatter per call: it runs once per STS answer); anything else goes to
    /// Foundation's formatter.
    public static func parse(_ text: String) -> Date? {
        if let d = parseUTC(Array(text.utf8)) { return d }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        if let d = f.date(from: text) { return d }
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: text)
    }

    static func parseUTC(_ b: [UInt8]) -> Date? {
        guard b.count >= 20, b.last == UInt8(ascii: "Z"), b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
            b[10] == UInt8(ascii: "T"), b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":")
        else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var n = 0
            for i in range {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b[i]) else { return nil }
                n = n * 10 + Int(b[i] - UInt8(ascii: "0"))
            }
            return n
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var fraction = 0.0
        if b.count > 20 {
            guard b[19] == UInt8(ascii: "."), b.count > 21, let digits = number(20..<(b.count - 1)) else { return nil }
            fraction = Double(digits) / pow(10, Double(b.count - 21))
        }
        let seconds = UTCDateTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
            .secondsSince1970
        // Out-of-range days (Feb 30) carry over into the next month: refuse what had to change.
        let normalized = UTCDateTime(secondsSince1970: seconds)
        guard normalized.day == day, normalized.month == month else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(seconds) + fraction)
    }
}
