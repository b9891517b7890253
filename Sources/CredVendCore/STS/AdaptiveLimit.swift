/// How many STS calls may be in flight at once, learnt from STS's answers by AIMD
/// (additive increase, multiplicative decrease, as TCP's congestion window): each
/// success raises the limit by `1 / limit` (so by one per window of `limit` calls), each
/// `Throttling` cuts it by `decrease`. STS's request quota is per account and per
/// second, so the number of calls in flight at a given STS latency is what decides the
/// rate; a limit that halves on throttling and creeps back keeps the rate just under the
/// quota instead of hammering it.
///
/// One decrease per window: calls that started before the last cut reflect the old limit,
/// so their throttled answers (a burst arrives together) do not cut it again. Without
/// that, 32 throttled answers in flight would take the limit from 32 to its floor at once.
///
/// Pure: times are parameters (seconds on any monotonic scale).
public struct AdaptiveLimit: Sendable, Equatable {
    public let minimum: Double
    public let maximum: Double
    /// The factor applied on a throttled answer, in (0, 1).
    public let decrease: Double
    public private(set) var value: Double
    /// When the last cut happened; answers to calls started before it do not cut again.
    public private(set) var lastDecrease: Double?

    /// - Parameters:
    ///   - initial: the limit before STS has answered anything (clamped to the bounds).
    ///   - decrease: 0.5 halves the limit on throttling, as TCP Reno does.
    public init(initial: Int, minimum: Int = 1, maximum: Int, decrease: Double = 0.5) {
        self.minimum = Double(max(1, minimum))
        self.maximum = Double(max(max(1, minimum), maximum))
        self.decrease = min(max(decrease, 0.05), 0.95)
        self.value = min(max(Double(initial), self.minimum), self.maximum)
    }

    /// The number of calls allowed in flight now.
    public var allowed: Int { Int(value.rounded(.down)) }

    /// A call answered without throttling (success, a refusal, a 5xx: STS was not
    /// asking for fewer calls).
    public mutating func succeeded() {
        value = min(maximum, value + 1 / value)
    }

    /// A call started at `startedAt` was answered `Throttling` at `now`.
    public mutating func throttled(startedAt: Double, now: Double) {
        if let last = lastDecrease, startedAt < last { return }
        value = max(minimum, value * decrease)
        lastDecrease = now
    }
}
