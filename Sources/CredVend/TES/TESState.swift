public import CredVendCore
public import Foundation

/// What the TES worker serves, or why it cannot.
public enum TESServing: Sendable, Equatable {
    case credentials(AWSCredentials)
    /// No valid credentials: none fetched yet, or the last ones expired. Never an expired set.
    case unavailable(reason: String)
}

/// The TES worker's memory: the last good credentials and the failures since. Pure:
/// every change and every question takes the time as a parameter.
public struct TESState: Sendable {
    public private(set) var credentials: AWSCredentials?
    public private(set) var lastError: IoTCredentialError?
    /// Failed attempts since the last success.
    public private(set) var consecutiveFailures = 0
    /// Successful fetches so far.
    public private(set) var refreshes = 0

    public init() {}

    /// The last good credentials while they are valid (until their expiration, exclusive).
    public func serving(at now: Date) -> TESServing {
        if let credentials, credentials.remaining(at: now) > 0 { return .credentials(credentials) }
        let why = lastError.map { ": \($0.message)" } ?? ""
        if let expiration = credentials?.expiration {
            return .unavailable(
                reason: "the credentials expired at \(ISO8601.string(expiration)) and could not be refreshed\(why)"
            )
        }
        return .unavailable(
            reason: lastError == nil
                ? "no credentials yet: the first request to the AWS IoT credential provider is in progress"
                : "no credentials yet\(why)"
        )
    }

    /// Records the outcome of one request made at `now`; returns the seconds to wait before
    /// the next. Credentials that arrive already expired count as a failure.
    public mutating func record(
        _ result: Result<AWSCredentials, IoTCredentialError>,
        at now: Date,
        policy: TESRefreshPolicy,
        unitRandom: Double
    ) -> TimeInterval {
        var outcome = result
        if case .success(let fresh) = result, fresh.remaining(at: now) <= 0 {
            outcome = .failure(
                IoTCredentialError(
                    .badResponse,
                    httpStatus: 200,
                    "the credential provider returned credentials that expired at \(fresh.expiration.map(ISO8601.string) ?? "?") by this device's clock; check the clock (NTP)"
                )
            )
        }
        switch outcome {
        case .success(let fresh):
            credentials = fresh
            lastError = nil
            consecutiveFailures = 0
            refreshes += 1
            return policy.refreshDelay(lifetime: fresh.remaining(at: now), unitRandom: unitRandom)
        case .failure(let error):
            lastError = error
            consecutiveFailures += 1
            let remaining = credentials.map { $0.remaining(at: now) }.flatMap { $0 > 0 ? $0 : nil }
            return policy.retryDelay(
                afterFailures: consecutiveFailures,
                error,
                remaining: remaining,
                unitRandom: unitRandom
            )
        }
    }
}
