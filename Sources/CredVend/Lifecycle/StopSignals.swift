import CredVendSync
public import Logging
public import ServiceLifecycle
public import UnixSignals

/// SIGTERM and SIGINT, trapped. A runtime traps them before it says `listening on`, so a
/// stop sent the moment a script sees that line is a graceful stop, not the default kill.
public struct StopSignals: Sendable {
    fileprivate let arrivals: UnixSignalsSequence

    public static func trap() async -> StopSignals {
        StopSignals(arrivals: await UnixSignalsSequence(trapping: .sigterm, .sigint))
    }
}

/// Runs `services` in one `ServiceGroup` until SIGTERM or SIGINT (or until they end)
/// and returns the signal that stopped them, for the "stopped" log line. Shutdown runs
/// in reverse order of `services`.
public func runUntilStopSignal(
    _ services: [any Service],
    stopSignals: StopSignals? = nil,
    logger: Logger
) async throws -> UnixSignal? {
    let signals = if let stopSignals { stopSignals } else { await StopSignals.trap() }
    let group = ServiceGroup(services: services, logger: logger)
    let received = Locked<UnixSignal?>(nil)
    let watcher = Task {
        for await signal in signals.arrivals {
            received.withLock { $0 = signal }
            logger.info("shutting down: finishing work in flight", metadata: ["signal": "\(signal)"])
            await group.triggerGracefulShutdown()
            break
        }
    }
    defer { watcher.cancel() }
    try await group.run()
    return received.withLock { $0 }
}
