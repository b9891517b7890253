public import Foundation

/// When credential-daemon and token-daemon act next. Pure: times are inputs.
public struct RefreshSchedule: Sendable, Equatable {
    public var policy: ClientCachePolicy
    /// Refresh at least this often, even while the current item is fresh (nil: only as the policy says).
    public var maxInterval: TimeInterval?
    /// Backoff after a failed refresh: the first wait is about `minRetryDelay`, doubling up to `maxRetryDelay`.
    public var minRetryDelay: TimeInterval
    public var maxRetryDelay: TimeInterval
    /// Used when an item has no expiry.
    public static let noExpiryInterval: TimeInterval = 3600

    public init(
        policy: ClientCachePolicy = ClientCachePolicy(),
        maxInterval: TimeInterval? = nil,
        minRetryDelay: TimeInterval = 5,
        maxRetryDelay: TimeInterval = 300
    ) {
        self.policy = policy
        self.maxInterval = maxInterval
        self.minRetryDelay = minRetryDelay
        self.maxRetryDelay = max(minRetryDelay, maxRetryDelay)
    }

    /// How long after `refreshTime` the daemons refresh, at most (a tenth of what the item
    /// had left, for short items). The vending server computes its turnover from when *it*
    /// got the credentials, which is after the client's `obtained`, and from the exact
    /// expiry, which the client sees cut to whole seconds: a refresh exactly at that time can
    /// land just before the turnover and get the same credentials back. Two seconds later it
    /// gets new ones.
    public static let serverTurnoverSlack: TimeInterval = 2

    /// When the daemons refresh an item obtained at `obtained`: by the vending server's own
    /// credential-cache rule (docs/reference.md#credential-cache), `refreshBuffer` before
    /// expiry when more than twice that was left, else at half of what was left. Not by
    /// `ClientCachePolicy.refreshTime`, which reuses such items only until `refreshBuffer`
    /// before expiry (what botocore's window wants): for a 900-1800 s session the daemon
    /// would then ask while the server still caches the same credentials, and get them back.
    public func refreshTime(obtained: Date, expiration: Date) -> Date {
        let remaining = expiration.timeIntervalSince(obtained)
        if remaining > 2 * policy.refreshBuffer { return expiration.addingTimeInterval(-policy.refreshBuffer) }
        return obtained.addingTimeInterval(max(0, remaining) / 2)
    }

    /// Seconds to wait after a successful refresh at `now` of an item obtained at
    /// `obtained`: until `refreshTime` plus `serverTurnoverSlack`, or `maxInterval`,
    /// whichever is sooner.
    public func delayAfterSuccess(obtained: Date, expiration: Date?, now: Date) -> TimeInterval {
        var delay =
            expiration.map {
                let slack = min(Self.serverTurnoverSlack, max(0, $0.timeIntervalSince(obtained)) / 10)
                return refreshTime(obtained: obtained, expiration: $0).timeIntervalSince(now) + slack
            }
            ?? Self.noExpiryInterval
        if let maxInterval { delay = min(delay, maxInterval) }
        // Never spin on an item that arrived (nearly) expired.
        return max(delay, min(1, maxInterval ?? 1))
    }

    /// Seconds to wait after the `failures`-th refresh in a row failed:
    /// exponential backoff with "equal jitter", half fixed and half random, so
    /// a retry never comes at once. `unitRandom` is in [0, 1).
    public func delayAfterFailure(failures: Int, unitRandom: Double) -> TimeInterval {
        let retry = RetryPolicy(
            maxAttempts: Int.max,
            baseDelay: Self.duration(minRetryDelay),
            maxDelay: Self.duration(maxRetryDelay)
        )
        let ceiling = retry.ceiling(afterAttempt: max(1, failures)).inSeconds
        return ceiling / 2 + ceiling / 2 * min(max(unitRandom, 0), 1)
    }

    static func duration(_ seconds: TimeInterval) -> Duration { .nanoseconds(Int64(seconds * 1e9)) }
}
