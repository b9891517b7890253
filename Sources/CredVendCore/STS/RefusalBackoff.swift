public import Foundation

/// How long a client's STS refusal is remembered before STS is asked again for the
/// same role mapping: `base` after the first refusal, doubling with each refusal in a
/// row, at most `maxDelay`, jittered down to half ("equal jitter"), so clients
/// refused at once do not come back at once, yet never sooner than half the step.
/// Pure: the random value is a parameter.
public struct RefusalBackoff: Sendable, Equatable {
    public var base: TimeInterval
    public var maxDelay: TimeInterval

    public init(base: TimeInterval = 5, maxDelay: TimeInterval = 300) {
        self.base = max(0, base)
        self.maxDelay = max(self.base, maxDelay)
    }

    public static let `default` = RefusalBackoff()

    /// The longest wait after `refusals` (1-based) refusals in a row.
    public func ceiling(afterRefusals refusals: Int) -> TimeInterval {
        let exponent = min(max(refusals - 1, 0), 30)
        return min(base * Double(1 << exponent), maxDelay)
    }

    /// The wait after `refusals` refusals in a row; `unitRandom` in [0, 1).
    public func delay(afterRefusals refusals: Int, unitRandom: Double) -> TimeInterval {
        let ceiling = ceiling(afterRefusals: refusals)
        let fraction = min(max(unitRandom, 0), 1)
        return ceiling / 2 + ceiling / 2 * fraction
    }
}
