import Dispatch
import Foundation

/// Starts `body` on a new thread called `name` (what top, ps and a debugger show). Named from
/// inside, once `start` has returned: on Linux a name set before `start` never reaches the
/// thread, and Foundation drops one set before `start` has stored the thread's handle, so a
/// thread that ran at once kept its creator's ("…root.default-qos").
package func startThread(named name: String, _ body: @escaping @Sendable () -> Void) {
    let started = DispatchSemaphore(value: 0)
    let thread = Thread {
        started.wait()
        Thread.current.name = name
        body()
    }
    thread.start()
    started.signal()
}
