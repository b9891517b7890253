import CredVendCore
import CredVendHTTP
import CredVendStore
import CredVendSync
import CredVendSystem
import Foundation
public import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// Builds and runs `credvend serve`: role store, JWKS cache, source credentials, STS
/// client, HTTP listener, and the operator's plane (admin API on a Unix socket and/or
/// under `/admin/` for bearer tokens, audit log). Stops gracefully on SIGTERM/SIGINT;
/// SIGHUP re-reads the admin token file, reopens the audit log and reloads the TLS files.
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
    public func run() async throws {
        let config = configuration
        let metrics = metrics
        let startedAt = Date()
        try config.validate()
        // Operator inputs are checked before anything is opened or listens.
        let tokens = try config.adminTokenFile.map(Self.loadTokens)
        if let t = config.tls { try ServeTLS.check(t) }
        // Set once the main listener exists (the admin API is built before it).
        let tlsOnceStarted = Locked<ServeTLS?>(nil)
        let tokenIdentifier = try auditTokenIdentifier(config)
        let audit = try config.auditLog.map { path throws(ConfigurationError) in
            try AuditLog(path: path, metrics: metrics, logger: logger)
        }

        // The directory may be replaced under the server (a restore): `roleStoreWatch` looks
        // at it every 250 ms, and each switch is logged with the old and new files.
        let roles = try RoleStore(directory: config.dbPath, mapSize: config.mapSize) { [logger] change in
            let metadata: Logger.Metadata = [
                "db": "\(change.directory)", "old": "\(change.old.map { "\($0)" } ?? "none")",
                "new": "\(change.new.map { "\($0)" } ?? "none")", "reason": "\(change.reason ?? "")",
            ]
            switch change.kind {
            case .opened: logger.notice("role store opened: now serving the store in the directory", metadata: metadata)
            case .closed: logger.error("role store closed: its directory was removed or replaced", metadata: metadata)
            case .openFailed: logger.error("role store not opened", metadata: metadata)
            }
        }
        // The JWKS, source-credential and roles-table fetches block on a thread of their own;
        // the STS calls run on the HTTP workers, each keeping its own connections to STS.
        let client = CurlHTTPClient(maxIdleHandles: 4)
        let stsTransfers = try WorkerTransfers(
            workers: config.threads,
            maxIdleHandles: (config.stsPool.concurrency + config.threads - 1) / max(1, config.threads)
        )
        let jwks = JWKSCache(
            source: config.jwksFile.map { .file($0) } ?? .url(config.effectiveJWKSURL),
            client: client,
            logger: logger,
            metrics: metrics
        )
        let source = SourceCredentialsProvider(client: client, logger: logger)
        let sts = try STSClient(
            endpoint: config.effectiveSTSEndpoint,
            region: config.region,
            client: client,
            transfers: stsTransfers,
            metrics: metrics,
            logger: logger
        )
        let cache = CredentialCache(refreshBuffer: config.refreshBuffer, clock: SystemClock())
        let tableSync: RoleTableSync?
        if let table = config.rolesTable {
            tableSync = try RoleTableSync.make(
                table,
                serveRegion: config.region,
                store: roles,
                client: client,
                source: source,
                cache: cache,
                metrics: metrics.roleSync,
                logger: logger
            )
        } else {
            tableSync = nil
        }
        let verifier = JWTVerifier(
            config: .init(
                issuer: config.issuer,
                clockSkew: config.clockSkew,
                requiredScopes: config.requiredScopes
            )
        )
        let rolesRefusal: (@Sendable () -> String?)? = tableSync?.vendingRefusal
        let vending = VendingService(
            verifier: verifier,
            jwks: jwks,
            roles: roles,
            cache: cache,
            sts: sts,
            pool: STSCallPool(config.stsPool, metrics: metrics, logger: logger),
            source: source,
            metrics: metrics,
            logger: logger,
            tokenIdentifier: tokenIdentifier,
            requireBoundTokens: config.requireBoundTokens,
            rolesRefusal: rolesRefusal
        )

        let adminAPI = AdminAPI(
            roles: roles,
            cache: cache,
            logRing: logRing,
            rolesTable: tableSync.map(AdminRoleTable.init(sync:)),
            info: {
                let snapshot = jwks.current
                let status = jwks.currentStatus
                return AdminInfo(
                    startedAt: startedAt,
                    now: Date(),
                    issuer: config.issuer,
                    jwksSource: config.jwksFile == nil ? "url" : "file",
                    jwksLocation: config.jwksFile ?? config.effectiveJWKSURL,
                    jwksKeyIds: snapshot?.keys.kids ?? [],
                    jwksFetchedAt: snapshot?.fetchedAt,
                    jwksLastAttempt: status.lastAttempt,
                    jwksLastOutcome: status.lastOutcome,
                    roleStorePath: config.dbPath,
                    roleCount: try? roles.count,
                    cacheEntries: cache.count,
                    sourceOrigin: source.origin?.rawValue,
                    sourceExpiration: source.expiration,
                    sourceLoaded: source.current() != nil,
                    adminSocket: config.adminSocket,
                    adminTokenFile: config.adminTokenFile,
                    adminTokens: tokens?.count,
                    auditLog: config.auditLog,
                    auditRequired: config.auditRequired,
                    auditWriteFailures: metrics.auditWriteFailures.current,
                    tlsCertificate: tlsOnceStarted.withLock { $0 }?.certificate
                )
            }
        )
        func adminHandler(_ authentication: AdminHandler.Authentication) -> AdminHandler {
            AdminHandler(
                api: adminAPI,
                authentication: authentication,
                audit: audit,
                auditRequired: config.auditRequired,
                metrics: metrics,
                logger: logger
            )
        }
        let app = ServeApplication(
            vending: vending,
            readiness: {
                var missing: [String] = []
                if jwks.current == nil { missing.append("jwks: the issuer's signing keys are not loaded") }
                if let why = roles.unavailableReason {
                    missing.append("role store: \(why)")
                } else if (try? roles.count) == nil {
                    missing.append("role store: cannot be read")
                }
                if source.current() == nil { missing.append("source credentials: none found in the AWS chain") }
                if let why = tableSync?.notReadyReason() { missing.append(why) }
                return missing
            },
            metrics: metrics,
            logger: logger,
            admin: tokens.map { adminHandler(.bearer($0)) },
            audit: audit,
            auditRequired: config.auditRequired
        )

        let adminServer = config.adminSocket.map { path in
            HTTPServer(
                configuration: HTTPServerConfiguration(
                    listen: .unix(path: path),
                    threadPoolSize: 1,
                    connectionLimit: ServeConfiguration.adminConnectionLimit,
                    requestDeadlineSeconds: config.requestDeadlineSeconds,
                    maxBodyBytes: 8 << 20,
                    observer: metrics
                ),
                handler: adminHandler(.socket)
            )
        }
        do {
            try adminServer?.start()
        } catch {
            throw ConfigurationError("--admin-socket: \(error.message)")
        }
        let connectionLimit = config.effectiveConnectionLimit(openFileLimit: ResourceLimits.openFiles())
        let server = HTTPServer(
            configuration: HTTPServerConfiguration(
                listen: .tcp(host: config.listenHost, port: Int(config.listenPort)),
                threadPoolSize: config.threads,
                connectionLimit: connectionLimit,
                perAddressConnectionLimit: config.perAddressConnectionLimit,
                connectionTimeoutSeconds: config.connectionTimeoutSeconds,
                requestDeadlineSeconds: config.requestDeadlineSeconds,
                maxBodyBytes: 16 * 1024,
                observer: metrics,
                tls: config.tls
            ),
            handler: app,
            transfers: stsTransfers
        )
        let tls = config.tls.map { _ in ServeTLS(server: server, logger: logger) }
        tlsOnceStarted.withLock { $0 = tls }
        do {
            try server.start()
        } catch {
            await adminServer?.stop(gracePeriod: .zero)
            throw error
        }
        let stopSignals = await StopSignals.trap()
        let reload = await SignalActionService(.sighup) { [logger] in
            Self.reload(tokens: tokens, audit: audit, tls: tls, logger: logger)
        }
        StandardError.write(Array("listening on \(config.listenHost):\(server.boundPort ?? 0)\n".utf8))
        var started: Logger.Metadata = [
            "version": "\(CredVendVersion.string)", "issuer": "\(config.issuer)", "db": "\(config.dbPath)",
            "sts": "\(config.effectiveSTSEndpoint)", "region": "\(config.region)",
            "connection_limit": "\(connectionLimit)",
            "per_address_connection_limit": "\(config.perAddressConnectionLimit)",
            "request_deadline": "\(config.requestDeadlineSeconds)",
        ]
        if let tls, let certificate = tls.certificate {
            started.merge(tls.metadata(certificate)) { a, _ in a }
            if let ca = config.clientCAFile {
                started["client_ca"] = "\(ca)"
                started["client_cert"] = "\(config.tls?.clientCertificates.rawValue ?? "")"
            }
        }
        if let path = config.adminSocket { started["admin_socket"] = "\(path)" }
        if let table = config.rolesTable {
            started["roles_table"] = "\(table.table)"
            started["dynamodb"] = "\(table.effectiveEndpoint(serveRegion: config.region))"
        }
        if let tokens { started["admin_tokens"] = "\(tokens.count)" }
        if config.requireBoundTokens { started["require_bound_tokens"] = "true" }
        if let path = config.auditLog {
            started["audit_log"] = "\(path)"
            started["audit_hmac_key"] = "\(config.auditHMACKeyFile == nil ? "random per start" : "from file")"
        }
        logger.info("credvend serve started", metadata: started)

        // Shut down in reverse order: the listeners drain first, then the loops stop.
        let sourceRefresh = PeriodicService(name: "credvend-source-credentials") {
            source.refreshIfNeeded()
            return 30
        }
        let roleStoreWatch = PeriodicService(name: "credvend-role-store-watch") {
            roles.checkDirectory()
            return 0.25
        }
        let listeners = ListenerService([server] + (adminServer.map { [$0] } ?? []), gracePeriod: .seconds(10))
        var services: [any Service] = [jwks.refreshService, sourceRefresh, roleStoreWatch]
        if let tls { services.append(tls.expiryWatch) }
        if let tableSync { services.append(tableSync.service) }
        services += [reload, listeners]
        _ = try await runUntilStopSignal(
            services,
            stopSignals: stopSignals,
            logger: logger
        )
        stsTransfers.stop()
        logger.info("stopped")
    }

    private static func loadTokens(_ path: String) throws(ConfigurationError) -> AdminTokenStore {
        do {
            return try AdminTokenStore(path: path)
        } catch {
            throw ConfigurationError(error.description)
        }
    }

    private func auditTokenIdentifier(_ config: ServeConfiguration) throws(ConfigurationError) -> AuditTokenIdentifier?
    {
        guard config.auditLog != nil else { return nil }
        if let path = config.auditHMACKeyFile { return try AuditTokenIdentifier.load(path: path) }
        do {
            return try AuditTokenIdentifier.random()
        } catch {
            throw ConfigurationError("cannot make a random audit HMAC key: \(error)")
        }
    }

    /// SIGHUP: a new token file replaces the old one only when it is valid as a whole;
    /// the audit log is reopened (after rotation); the TLS files are re-read.
    static func reload(tokens: AdminTokenStore?, audit: AuditLog?, tls: ServeTLS? = nil, logger: Logger) {
        if let tokens {
            do {
                let n = try tokens.reload()
                logger.info("admin token file reloaded", metadata: ["tokens": "\(n)"])
            } catch {
                logger.error(
                    "admin token file not reloaded; the previous tokens stay in force",
                    metadata: ["error": "\(error)", "tokens": "\(tokens.count)"]
                )
            }
        }
        if let audit {
            do {
                try audit.reopen()
                logger.info("audit log reopened", metadata: ["audit_log": "\(audit.path)"])
            } catch {
                logger.error(
                    "audit log not reopened; still writing to the previous file",
                    metadata: ["error": "\(error)"]
                )
            }
        }
        tls?.reload()
        if tokens == nil && audit == nil && tls == nil { logger.info("SIGHUP: nothing to reload") }
    }
}
