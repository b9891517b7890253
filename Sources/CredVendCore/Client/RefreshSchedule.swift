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

    /// Seconds to wait after a successful refresh at `now` of an item obtained
    /// at `obtained`: until the policy's refresh time, or `maxInterval`, whichever is sooner.
    public func delayAfterSuccess(obtained: Date, expiration: Date?, now: Date) -> TimeInterval {
        var delay =
            expiration.map { policy.refreshTime(obtained: obtained, expiration: $0).timeIntervalSince(now) }
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
        let ceiling = RetryPolicy.seconds(retry.ceiling(afterAttempt: max(1, failures)))
        return ceiling / 2 + ceiling / 2 * min(max(unitRandom, 0), 1)
    }

    static func duration(_ seconds: TimeInterval) -> Duration { .nanoseconds(Int64(seconds * 1e9)) }
}
