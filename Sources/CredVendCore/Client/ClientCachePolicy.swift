public import Foundation

/// When cached tokens and credentials are reused, and when the daemons
/// refresh. Pure: every decision takes `now`.
///
/// The rule: reuse until `refreshBuffer` (15 minutes) before expiry. botocore
/// runs `credential_process` again for credentials that have less than 15
/// minutes left, on every call inside that window (Ruby at 5 minutes, Go only
/// once expired: tests/e2e/test_sdks.py), so reusing for longer would hand it
/// credentials it immediately calls back for.
///
/// Short sessions: when something arrives with no more than `refreshBuffer`
/// left (a 900 s STS session, or the vending server's own half-life caching
/// of one), that rule would never reuse it, and every SDK call inside the
/// window would go to the network. Such an item is reused for half of the time
/// it had left when it arrived, the same rule `credvend serve` applies to
/// short sessions (docs/reference.md#credential-cache): the SDK still calls back on each use, but gets an
/// answer from the cache, always with at least half its original time left.
public struct ClientCachePolicy: Sendable, Equatable {
    public static let defaultRefreshBuffer: TimeInterval = 900

    public var refreshBuffer: TimeInterval
    /// A record obtained further in the future than this is not trusted (the clock went back).
    public var futureTolerance: TimeInterval
    /// A stale record may stand in for a failed refresh while it has at least this left.
    public var fallbackMinimumRemaining: TimeInterval

    public init(
        refreshBuffer: TimeInterval = defaultRefreshBuffer,
        futureTolerance: TimeInterval = 300,
        fallbackMinimumRemaining: TimeInterval = 60
    ) {
        self.refreshBuffer = refreshBuffer
        self.futureTolerance = futureTolerance
        self.fallbackMinimumRemaining = fallbackMinimumRemaining
    }

    /// When an item obtained at `obtained`, expiring at `expiration`, stops being reused.
    public func refreshTime(obtained: Date, expiration: Date) -> Date {
        let remaining = expiration.timeIntervalSince(obtained)
        if remaining > refreshBuffer { return expiration.addingTimeInterval(-refreshBuffer) }
        return obtained.addingTimeInterval(max(0, remaining) / 2)
    }

    /// Whether a cached item may be reused at `now`.
    public func isFresh(obtained: Date, expiration: Date, now: Date) -> Bool {
        guard obtained.timeIntervalSince(now) <= futureTolerance else { return false }
        return now < refreshTime(obtained: obtained, expiration: expiration) && now < expiration
    }

    /// Whether a stale item is still good enough to hand out when a refresh failed.
    public func isUsableFallback(expiration: Date, now: Date) -> Bool {
        expiration.timeIntervalSince(now) >= fallbackMinimumRemaining
    }
}
