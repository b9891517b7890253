/// Retries with exponential backoff and full jitter (AWS Architecture Blog,
/// "Exponential Backoff and Jitter"): before attempt n+1 wait a uniformly random
/// time in [0, min(maxDelay, baseDelay * 2^(n-1))). Pure: the random source is
/// a parameter.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in all, the first one included.
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration

    public init(maxAttempts: Int = 3, baseDelay: Duration = .milliseconds(100), maxDelay: Duration = .seconds(2)) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    public static let `default` = RetryPolicy()

    /// Whether to try again after `attempt` (1-based) failed with `error`.
    public func shouldRetry(_ error: STSError, afterAttempt attempt: Int) -> Bool {
        error.isRetryable && attempt < maxAttempts
    }

    /// The upper bound of the wait after failed attempt `attempt` (1-based).
    public func ceiling(afterAttempt attempt: Int) -> Duration {
        let exponent = min(max(attempt - 1, 0), 62)
        let seconds = min(baseDelay.inSeconds * Double(1 << exponent), maxDelay.inSeconds)
        return .nanoseconds(Int64((seconds * 1e9).rounded(.down)))
    }

    /// The wait after failed attempt `attempt`, or nil once attempts are used up.
    /// `unitRandom` returns a value in [0, 1); it is called once.
    public func delay(afterAttempt attempt: Int, unitRandom: () -> Double) -> Duration? {
        guard attempt >= 1, attempt < maxAttempts else { return nil }
        let fraction = min(max(unitRandom(), 0), 1)
        let seconds = ceiling(afterAttempt: attempt).inSeconds * fraction
        return .nanoseconds(Int64((seconds * 1e9).rounded(.down)))
    }

    /// `delay` with a `RandomNumberGenerator` (the system's in production).
    public func delay(afterAttempt attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration? {
        delay(afterAttempt: attempt) { Double.random(in: 0..<1, using: &generator) }
    }

    /// Every wait of a call that fails `maxAttempts` times.
    public func delays(unitRandom: () -> Double) -> [Duration] {
        (1..<maxAttempts).compactMap { delay(afterAttempt: $0, unitRandom: unitRandom) }
    }
}
