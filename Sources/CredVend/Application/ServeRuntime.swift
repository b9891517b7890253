import Dispatch
import Foundation
import Logging
import Synchronization

/// Builds and runs `credvend serve`: role store, JWKS cache, source
/// credentials, STS client, HTTP listener; stops gracefully on SIGTERM/SIGINT.
public final class ServeRuntime: Sendable {
    public let configuration: ServeConfiguration
    public let metrics = ServerMetrics()
    public let logRing: LogRing
    let logger: Logger

    public init(configuration: ServeConfiguration, logRing: LogRing, logger: Logger) {
        self.configuration = configuration
        self.logRing = logRing
        self.logger = logger
    }

    /// Runs until SIGTERM or SIGINT; then stops accepting, lets requests in
    /// flight finish (up to 10 s) and returns.
    public func run() throws {
        let config = configuration
        try config.validate()
        let roles = try RoleStore(directory: config.dbPath, mapSize: config.mapSize)
        let client = HTTPClient()
        let jwks = JWKSCache(source: config.jwksFile.map { .file($0) } ?? .url(config.effectiveJWKSURL),
                             client: client, logger: logger, metrics: metrics)
        let source = SourceCredentialsProvider(client: client, logger: logger)
        let sts = try STSClient(endpoint: config.effectiveSTSEndpoint, region: config.region, client: client,
                            metrics: metrics, logger: logger)
        let cache = CredentialCache(refreshBuffer: config.refreshBuffer)
        let verifier = JWTVerifier(config: .init(issuer: config.issuer, clockSkew: config.clockSkew,
                                                 requiredScopes: config.requiredScopes))
        let vending = VendingService(verifier: verifier, jwks: jwks, roles: roles, cache: cache, sts: sts,
                                     source: source, metrics: metrics, logger: logger)
        let app = ServeApplication(vending: vending, readiness: {
            var missing: [String] = []
            if jwks.current == nil { missing.append("jwks: the issuer's signing keys are not loaded") }
            if (try? roles.count) == nil { missing.append("role store: cannot be read") }
            if source.current() == nil { missing.append("source credentials: none found in the AWS chain") }
            return missing
        }, metrics: metrics, logger: logger)

        let server = HTTPServer(
            configuration: HTTPServerConfiguration(
                listen: .tcp(host: config.listenHost, port: Int(config.listenPort)), threadPoolSize: config.threads,
                connectionLimit: config.connectionLimit, connectionTimeoutSeconds: config.connectionTimeoutSeconds,
                maxBodyBytes: 16 * 1024),
            handler: app)
        try server.start()
        let stopSignal = SignalWaiter(signals: [SIGTERM, SIGINT])
        FileHandle.standardError.write(Data("listening on \(config.listenHost):\(server.boundPort ?? 0)\n".utf8))
        logger.info("credvend serve started", metadata: [
            "version": "\(CredVendVersion.string)", "issuer": "\(config.issuer)", "db": "\(config.dbPath)",
            "sts": "\(config.effectiveSTSEndpoint)", "region": "\(config.region)"])

        let jwksLoop = jwks.startBackgroundRefresh()
        let sourceLoop = BackgroundLoop(name: "credvend-source-credentials") {
            source.refreshIfNeeded()
            return 30
        }
        let signal = stopSignal.wait()
        logger.info("shutting down: finishing requests in flight", metadata: ["signal": "\(signal)"])
        server.stop(gracePeriod: .seconds(10))
        jwksLoop.stop()
        sourceLoop.stop()
        logger.info("stopped")
    }
}

/// Blocks until one of the given signals arrives (handled, not fatal).
public final class SignalWaiter: @unchecked Sendable {
    // @unchecked: `sources` is filled in init and only read again in wait().
    private let semaphore = DispatchSemaphore(value: 0)
    private let received = Mutex<Int32>(0)
    private var sources: [any DispatchSourceSignal] = []

    public init(signals: [Int32]) {
        for s in signals {
            Foundation.signal(s, SIG_IGN)
            let src = DispatchSource.makeSignalSource(signal: s, queue: .global())
            src.setEventHandler { [self] in
                received.withLock { $0 = s }
                semaphore.signal()
            }
            src.resume()
            sources.append(src)
        }
    }

    /// The signal that arrived.
    public func wait() -> Int32 {
        semaphore.wait()
        for s in sources { s.cancel() }
        return received.withLock { $0 }
    }
}
