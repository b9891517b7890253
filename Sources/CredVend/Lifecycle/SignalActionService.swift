import CredVendSystem
import Foundation
public import ServiceLifecycle
public import UnixSignals

/// Runs an action for every arrival of a signal (SIGHUP: reload), each on a thread of
/// its own, so that one action that blocks (a log path that became a FIFO, say) never
/// keeps a later signal's action from running. The signal is trapped when the service is
/// made (before the server listens), so an early SIGHUP is not the default kill.
public struct SignalActionService: Service {
    private let arrivals: UnixSignalsSequence
    private let action: @Sendable () -> Void

    public init(_ signal: UnixSignal, action: @escaping @Sendable () -> Void) async {
        self.arrivals = await UnixSignalsSequence(trapping: signal)
        self.action = action
    }

    public func run() async throws {
        for await _ in arrivals.cancelOnGracefulShutdown() {
            startThread(named: "credvend-signal-action") { [action] in action() }
        }
    }
}
