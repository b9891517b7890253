public import Foundation

/// Whether credentials STS just handed out may be served: they must have at least
/// `--refresh-buffer` left, or, for sessions not longer than twice the buffer (1800 s
/// with the default 900 s), half the session, the part the cache serves them for.
/// Anything expired, or closer to expiry than that, is refused: a client given it
/// would be back at once (botocore 1.43 refreshes before every call once under 15
/// minutes, and blocks each call on that refresh under 10) or fail (expired). Pure: the time is a parameter (the server's clock).
public enum ServableCredentials {
    /// The least time left that credentials for a session of `sessionDuration` seconds need.
    public static func minimumRemaining(sessionDuration: Int, refreshBuffer: TimeInterval) -> TimeInterval {
        min(refreshBuffer, Double(sessionDuration) / 2)
    }

    /// nil when the credentials may be served, else why not (for the 502's message).
    public static func problem(
        expiration: Date?,
        now: Date,
        sessionDuration: Int,
        refreshBuffer: TimeInterval
    ) -> String? {
        guard let expiration else { return "STS returned credentials without an expiration" }
        let left = expiration.timeIntervalSince(now)
        let needed = minimumRemaining(sessionDuration: sessionDuration, refreshBuffer: refreshBuffer)
        if left > 0 && left >= needed { return nil }  // every STS answer: no message built
        let at = ISO8601.string(expiration)
        let clock = "check this server's clock and the role's maximum session duration"
        if left <= 0 {
            return "STS returned credentials that had already expired (at \(at), \(Int((-left).rounded(.up))) s ago "
                + "by this server's clock); \(clock)"
        }
        guard left >= needed else {
            return "STS returned credentials that expire in \(Int(left.rounded(.down))) s (at \(at)), less than the "
                + "\(Int(needed)) s they must have left to be served (--refresh-buffer, or half of a session not "
                + "longer than twice it); \(clock)"
        }
        return nil
    }
}
