public import Foundation

/// What the operator is told about the server certificate in use: `/admin/v1/info`
/// and the start-up, reload and expiry log lines. Public facts only.
public struct TLSCertificateSummary: Sendable, Equatable {
    /// RFC 4514 form, e.g. `CN=vend.example.com,O=Example`.
    public var subject: String
    public var notBefore: Date
    public var notAfter: Date

    public init(subject: String, notBefore: Date, notAfter: Date) {
        self.subject = subject
        self.notBefore = notBefore
        self.notAfter = notAfter
    }

    /// How far ahead of expiry the log warns.
    public static let warningPeriod: TimeInterval = 14 * 86400

    /// Whole days left (negative once expired) when expiry is within `warningPeriod`; nil otherwise.
    public func daysLeftIfExpiringSoon(now: Date) -> Int? {
        let left = notAfter.timeIntervalSince(now)
        guard left <= Self.warningPeriod else { return nil }
        return Int((left / 86400).rounded(.down))
    }
}
