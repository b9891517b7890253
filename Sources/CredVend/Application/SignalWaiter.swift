import Dispatch
import Foundation
import Synchronization

/// Blocks until one of the stop signals arrives (handled, not fatal), and meanwhile
/// runs an action for each other signal it was given (SIGHUP: reload), one at a time.
public final class SignalWaiter: @unchecked Sendable {
    // @unchecked: `sources` is filled in init and only read again in wait().
    private let semaphore = DispatchSemaphore(value: 0)
    private let received = Mutex<Int32>(0)
    private var sources: [any DispatchSourceSignal] = []
    private let actionQueue = DispatchQueue(label: "credvend.signal-actions")

    /// `signals` end `wait()`; `actions` run on every arrival of their signal until then.
    /// Every one of them is handled from here on, so none can kill the process.
    public init(signals: [Int32], actions: [Int32: @Sendable () -> Void] = [:]) {
        for s in signals {
            listen(s, queue: .global()) { [self] in
                received.withLock { $0 = s }
                semaphore.signal()
            }
        }
        for (s, action) in actions {
            listen(s, queue: actionQueue, action)
        }
    }

    private func listen(_ s: Int32, queue: DispatchQueue, _ handler: @escaping @Sendable () -> Void) {
        Foundation.signal(s, SIG_IGN)
        let src = DispatchSource.makeSignalSource(signal: s, queue: queue)
        src.setEventHandler(handler: handler)
        src.resume()
        sources.append(src)
    }

    /// The stop signal that arrived. Actions stop running (their signals stay ignored).
    public func wait() -> Int32 {
        semaphore.wait()
        for s in sources { s.cancel() }
        return received.withLock { $0 }
    }
}
