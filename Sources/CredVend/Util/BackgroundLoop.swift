import Foundation
import Synchronization

/// A named thread that runs `step` and sleeps for the interval it returns,
/// until stopped. For JWKS refresh and source-credential refresh, which block
/// on I/O and so stay off the request threads.
public final class BackgroundLoop: Sendable {
    private let stopped = Mutex(false)
    private let wake = NSCondition()

    public init(name: String, step: @escaping @Sendable () -> TimeInterval) {
        let thread = Thread { [self] in
            while !isStopped {
                let delay = step()
                wake.lock()
                if !isStopped { _ = wake.wait(until: Date().addingTimeInterval(delay)) }
                wake.unlock()
            }
        }
        thread.name = name
        thread.start()
    }

    private var isStopped: Bool { stopped.withLock { $0 } }

    public func stop() {
        stopped.withLock { $0 = true }
        wake.lock()
        wake.broadcast()
        wake.unlock()
    }
}
