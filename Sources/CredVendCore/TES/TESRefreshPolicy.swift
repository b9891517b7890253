public import Foundation

/// When the TES worker asks the AWS IoT credential provider again. Pure: the random
/// draw (a value in [0, 1)) is a parameter.
///
/// - After a success: `refreshBuffer` before expiry, minus up to 10 % of the buffer (at
///   most 60 s) of jitter, so that a fleet of devices does not refresh in step. Credentials
///   that live no more than twice the buffer are refreshed at half their lifetime instead
///   (minus up to 10 % of it), as `credvend serve` does, rather than at once and forever.
/// - After failures: exponential backoff with jitter, each wait in [ceiling/2, ceiling], so
///   never a tight loop. Refusals that need an operator (403, 404, untrusted server) back
///   off from 5 s to a cap of 5 minutes; passing failures (network, 5xx, throttling) from
///   1 s to a cap of a fifth of the buffer, between 1 s and 60 s. While credentials are
///   still valid, no wait runs past their expiry, so one more try is made before they lapse.
/// - No wait is shorter than `minimumInterval`.
public struct TESRefreshPolicy: Sendable, Equatable {
    public var refreshBuffer: TimeInterval
    public static let minimumInterval: TimeInterval = 1
    public static let refusalBackoff = RetryPolicy(maxAttempts: .max, baseDelay: .seconds(5), maxDelay: .seconds(300))

    public init(refreshBuffer: TimeInterval) {
        self.refreshBuffer = refreshBuffer
    }

    public var transientBackoff: RetryPolicy {
        let cap = min(max(refreshBuffer / 5, 1), 60)
        return RetryPolicy(maxAttempts: .max, baseDelay: .seconds(1), maxDelay: .milliseconds(Int64(cap * 1000)))
    }

    /// Seconds from a successful fetch to the next, for credentials that live `lifetime` seconds.
    public func refreshDelay(lifetime: TimeInterval, unitRandom: Double) -> TimeInterval {
        let u = min(max(unitRandom, 0), 1)
        let target =
            lifetime > 2 * refreshBuffer
            ? lifetime - refreshBuffer - u * min(0.1 * refreshBuffer, 60)
            : lifetime / 2 - u * 0.1 * lifetime
        return max(target, Self.minimumInterval)
    }

    /// Seconds to wait after `failures` (1 or more) failures in a row, the last one `error`.
    /// `remaining` is the validity left on the credentials being served, nil when there are none.
    public func retryDelay(
        afterFailures failures: Int,
        _ error: IoTCredentialError,
        remaining: TimeInterval?,
        unitRandom: Double
    ) -> TimeInterval {
        let backoff = error.needsOperator ? Self.refusalBackoff : transientBackoff
        let ceiling = backoff.ceiling(afterAttempt: max(failures, 1)).inSeconds
        var delay = ceiling * (0.5 + 0.5 * min(max(unitRandom, 0), 1))
        if let remaining, remaining > 0 { delay = min(delay, remaining) }
        return max(delay, Self.minimumInterval)
    }
}
