public import CredVendCore
import CredVendSync
public import Foundation
public import Logging

/// Keeps device credentials fresh: asks the AWS IoT credential provider, remembers the last
/// good credentials, and schedules the next request by `TESRefreshPolicy`. Requests run on
/// the worker's own thread (`start`); readers (`serving`) only take a lock for a copy.
public final class TESWorker: Sendable {
    private let state = Locked(TESState())
    private let fetch: @Sendable () -> Result<AWSCredentials, IoTCredentialError>
    private let policy: TESRefreshPolicy
    private let logger: Logger
    private let clock: @Sendable () -> Date
    private let unitRandom: @Sendable () -> Double

    public init(
        policy: TESRefreshPolicy,
        logger: Logger,
        clock: @escaping @Sendable () -> Date = { Date() },
        unitRandom: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        fetch: @escaping @Sendable () -> Result<AWSCredentials, IoTCredentialError>
    ) {
        self.policy = policy
        self.logger = logger
        self.clock = clock
        self.unitRandom = unitRandom
        self.fetch = fetch
    }

    /// Never blocks beyond a lock held for a copy.
    public func serving() -> TESServing {
        let now = clock()
        return state.withLock { $0.serving(at: now) }
    }

    public var snapshot: TESState { state.withLock { $0 } }

    /// One request to the provider; returns the seconds to wait before the next. Blocking.
    @discardableResult
    public func step() -> TimeInterval {
        let result = fetch()
        let now = clock()
        let draw = unitRandom()
        let (delay, after) = state.withLock { s in (s.record(result, at: now, policy: policy, unitRandom: draw), s) }
        log(after, now: now, delay: delay)
        return delay
    }

    /// Runs `step` on a thread of its own until the group shuts down.
    public var service: PeriodicService {
        PeriodicService(name: "credvend-tes-refresh") { [self] in step() }
    }

    private func log(_ s: TESState, now: Date, delay: TimeInterval) {
        let next = String(format: "%.1fs", delay)
        guard let error = s.lastError, s.consecutiveFailures > 0 else {
            guard let c = s.credentials else { return }
            let lifetime = c.remaining(at: now)
            logger.info(
                "credentials refreshed",
                metadata: [
                    "refresh": "\(s.refreshes)", "access_key_id": "\(c.accessKeyId)",
                    "expiration": "\(c.expiration.map(ISO8601.string) ?? "none")",
                    "lifetime": "\(Int(lifetime))s", "next_refresh_in": "\(next)",
                ]
            )
            if lifetime <= policy.refreshBuffer {
                logger.warning(
                    "the credentials live \(Int(lifetime)) s, not more than --refresh-buffer (\(Int(policy.refreshBuffer)) s): botocore calls again on every use once credentials have under 15 minutes left; raise the role alias's credentialDurationSeconds (e.g. 3600)"
                )
            }
            return
        }
        var metadata: Logger.Metadata = [
            "code": "\(error.code)", "attempt": "\(s.consecutiveFailures)", "retry_in": "\(next)",
        ]
        if let status = error.httpStatus { metadata["status"] = "\(status)" }
        switch s.serving(at: now) {
        case .credentials(let c):
            metadata["serving"] = "previous credentials until \(c.expiration.map(ISO8601.string) ?? "?")"
        case .unavailable: metadata["serving"] = "nothing (503)"
        }
        let message: Logger.Message = "credential refresh failed: \(error.message)"
        if error.needsOperator {
            logger.error(message, metadata: metadata)
        } else {
            logger.warning(message, metadata: metadata)
        }
    }
}
