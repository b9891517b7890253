import Foundation

/// Runs blocking work (a libcurl call, a listener's drain) on a thread of its own and
/// awaits it, so that the cooperative pool (one thread per core) never waits on I/O.
package func onOwnThread<T: Sendable>(_ name: String, _ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        // Named from inside: on Linux, a name set before `start` never reaches the thread
        // (it kept its creator's, "…root.default-qos", in top and in a debugger).
        let thread = Thread {
            Thread.current.name = name
            continuation.resume(returning: work())
        }
        thread.start()
    }
}
