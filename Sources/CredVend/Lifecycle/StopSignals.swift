import CredVendSync
public import Logging
public import ServiceLifecycle
public import UnixSignals

/// Runs `services` in one `ServiceGroup` until SIGTERM or SIGINT (or until they end)
/// and returns the signal that stopped them, for the "stopped" log line. Shutdown runs
/// in reverse order of `services`.
public func runUntilStopSignal(_ services: [any Service], logger: Logger) async throws -> UnixSignal? {
    let group = ServiceGroup(services: services, logger: logger)
    let received = Locked<UnixSignal?>(nil)
    let watcher = Task {
        for await signal in await UnixSignalsSequence(trapping: .sigterm, .sigint) {
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
