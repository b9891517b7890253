package import CredVendHTTP
import Foundation
public import ServiceLifecycle

/// Started HTTP listeners, kept until graceful shutdown; then every one stops accepting
/// and drains its requests in flight at the same time, within one grace period.
public struct ListenerService: Service {
    private let servers: [HTTPServer]
    private let gracePeriod: Duration

    package init(_ servers: [HTTPServer], gracePeriod: Duration) {
        self.servers = servers
        self.gracePeriod = gracePeriod
    }

    public func run() async throws {
        // Cancellation (a second signal, or a failed service) ends the wait as well.
        try? await gracefulShutdown()
        let grace = gracePeriod
        await withTaskGroup(of: Void.self) { group in
            for server in servers {
                group.addTask { await onOwnThread("credvend-drain") { server.stop(gracePeriod: grace) } }
            }
        }
    }
}
