public import CredVendCore
import CredVendSync
import Foundation

/// An HTTP/1.1 server over libmicrohttpd. `start()` binds and serves; `stop(gracePeriod:)`
/// stops accepting, lets requests in flight finish (deferred ones too), then closes.
public final class HTTPServer: Sendable {
    public let configuration: HTTPServerConfiguration
    private let handler: any HTTPHandler
    private let transfers: WorkerTransfers?
    private let running = Locked<MHDDaemon?>(nil)

    /// `transfers`: HTTP client transfers to carry on the worker threads (one per worker:
    /// `threadPoolSize` of them), so a handler's upstream call and its answer cost no hand-off.
    public init(configuration: HTTPServerConfiguration, handler: some HTTPHandler, transfers: WorkerTransfers? = nil) {
        self.configuration = configuration
        self.handler = handler
        self.transfers = transfers
    }

    /// Binds the listen address and starts the worker threads. Throws before anything
    /// listens when the address or socket path is unusable.
    public func start() throws(HTTPServerError) {
        try running.withLock { (daemon: inout MHDDaemon?) throws(HTTPServerError) in
            guard daemon == nil else {
                throw HTTPServerError(.alreadyRunning, "already listening on \(configuration.listen)")
            }
            daemon = try MHDDaemon(configuration: configuration, handler: handler, transfers: transfers)
        }
    }

    /// The TCP port bound (useful with port 0); nil for a Unix socket or when not running.
    public var boundPort: Int? { running.withLock { $0?.port } }

    /// Reads and checks the files of `tls` as `start()` would (the key file's mode, the
    /// key matching the certificate), without listening: a bad file is refused before
    /// anything else starts.
    public static func checkTLS(_ tls: TLSServerConfiguration) throws(HTTPServerError) -> TLSCertificateSummary {
        try TLSMaterialStore.load(tls).summary
    }

    /// The server certificate new connections get; nil over plain HTTP or when not running.
    public var tlsCertificate: TLSCertificateSummary? { running.withLock { $0?.tls?.material.summary } }

    /// Re-reads the certificate, key and client CAs for new connections; open connections
    /// keep what they were accepted with. On an error the current material stays in force.
    /// nil over plain HTTP or when not running.
    public func reloadTLS() throws(HTTPServerError) -> TLSCertificateSummary? {
        guard let store = running.withLock({ $0?.tls }) else { return nil }
        return try store.reload()
    }

    /// Stops accepting at once, waits up to `gracePeriod` for requests in flight (including
    /// deferred ones) to be answered, answers any still deferred with 503, then closes every
    /// connection and removes the Unix socket file. Blocks the calling thread; idempotent.
    public func stop(gracePeriod: Duration = .seconds(10)) {
        let daemon = running.withLock { (daemon: inout MHDDaemon?) -> MHDDaemon? in
            defer { daemon = nil }
            return daemon
        }
        daemon?.stop(gracePeriod: gracePeriod)
    }

    /// `stop(gracePeriod:)` on a thread of its own, so no task of the caller's pool blocks.
    public func stop(gracePeriod: Duration = .seconds(10)) async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                self.stop(gracePeriod: gracePeriod)
                done.resume()
            }
        }
    }

    deinit {
        running.withLock { $0 }?.stop(gracePeriod: .zero)
    }
}
