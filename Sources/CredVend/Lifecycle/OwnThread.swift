import CredVendSystem
import Foundation

/// Runs blocking work (a libcurl call, a listener's drain) on a thread of its own and
/// awaits it, so that the cooperative pool (one thread per core) never waits on I/O.
package func onOwnThread<T: Sendable>(_ name: String, _ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        startThread(named: name) { continuation.resume(returning: work()) }
    }
}
