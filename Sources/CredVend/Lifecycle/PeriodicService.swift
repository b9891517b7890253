import Dispatch
public import Foundation
public import ServiceLifecycle
import Synchronization

/// A loop that runs `step` (which may block on I/O, so it runs on a thread of its own)
/// and then sleeps for the interval `step` returns, until the group shuts down. The
/// JWKS refresh, the source-credential refresh, the TES worker and the client daemons.
///
/// One thread for the service's lifetime, sleeping between steps: a thread per step made
/// the role-store watch (a step every 0.25 s) create and destroy four threads a second.
public struct PeriodicService: Service {
    private let name: String
    private let step: @Sendable () -> TimeInterval

    public init(name: String, step: @escaping @Sendable () -> TimeInterval) {
        self.name = name
        self.step = step
    }

    public func run() async throws {
        let stop = StopSignal()
        await withTaskCancellationOrGracefulShutdownHandler {
            await onOwnThread(name) { [step] in Self.loop(step, until: stop) }
        } onCancelOrGracefulShutdown: {
            stop.request()
        }
    }

    /// Steps until a non-finite or negative interval, or a stop, which also ends a sleep at once.
    private static func loop(_ step: () -> TimeInterval, until stop: StopSignal) {
        while !stop.isRequested {
            let delay = step()
            guard delay.isFinite, delay >= 0, !stop.sleep(seconds: delay) else { return }
        }
    }
}

/// The loop thread's sleep, which a graceful shutdown or a cancellation ends at once.
private final class StopSignal: Sendable {
    private let requested = Atomic<Bool>(false)
    private let wakeUp = DispatchSemaphore(value: 0)

    var isRequested: Bool { requested.load(ordering: .acquiring) }

    /// From any thread, any number of times.
    func request() {
        if !requested.exchange(true, ordering: .acquiringAndReleasing) { wakeUp.signal() }
    }

    /// Whether the stop was requested, at once or within `seconds`.
    func sleep(seconds: TimeInterval) -> Bool {
        wakeUp.wait(timeout: .now() + seconds) == .success || isRequested
    }
}
