public import Foundation
public import ServiceLifecycle

/// A loop that runs `step` (which may block on I/O, so it runs on a thread of its own)
/// and then sleeps for the interval `step` returns, until the group shuts down. The
/// JWKS refresh, the source-credential refresh, the TES worker and the client daemons.
public struct PeriodicService: Service {
    private let name: String
    private let step: @Sendable () -> TimeInterval

    public init(name: String, step: @escaping @Sendable () -> TimeInterval) {
        self.name = name
        self.step = step
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let delay = await onOwnThread(name, step)
            guard delay.isFinite, delay >= 0 else { return }
            let slept: Void? = try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(delay)) }
            if slept == nil { return }
        }
    }
}
