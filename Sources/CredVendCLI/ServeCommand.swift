import ArgumentParser
import CredVend
import CredVendCore
import Foundation
import Logging

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the credential-vending server.",
        discussion: """
            Validates Cognito-style access tokens (POST /v1/credentials), maps their client_id to an IAM role in the \
            LMDB role store, calls STS AssumeRole (SigV4) and returns credential_process JSON. \
            Also serves GET /healthz, /readyz and /metrics. SIGTERM or SIGINT: stop accepting, finish requests in \
            flight (up to 10 s), exit 0. SIGHUP: re-read --admin-token-file, reopen --audit-log, and re-read \
            --tls-cert, --tls-key and --client-ca for new connections (a file that does not load is logged and \
            the previous material kept).

            With --tls-cert and --tls-key the listener speaks HTTPS only (TLS 1.2 or 1.3, ALPN http/1.1); with \
            --client-ca it asks for client certificates. Without TLS, a non-loopback --listen is refused unless \
            --allow-insecure-http is given.

            The admin API (roles, info, logs; see docs/admin.md) is served on --admin-socket (the file's mode \
            0600 is the access control) and, with --admin-token-file, under /admin/ on the main listener for \
            listed bearer tokens. Without either, no /admin/ route exists.

            Source credentials (what signs the STS call) come from the standard AWS chain: AWS_ACCESS_KEY_ID / \
            AWS_SECRET_ACCESS_KEY [/ AWS_SESSION_TOKEN]; AWS_CONTAINER_CREDENTIALS_FULL_URI with \
            AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE] (e.g. `credvend tes`); the shared credentials file \
            (AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, profile AWS_PROFILE or default).

            With --roles-table, a DynamoDB table is the source of truth and --db this replica's copy: a complete \
            Scan at start and every --roles-sync-interval, applied only when whole (docs/replicas.md).

            Each flag in [brackets] can also be set by that environment variable; a flag wins.
            """
    )

    @Option(help: "HOST:PORT to listen on; port 0 picks a free one. [CREDVEND_LISTEN] (default: 127.0.0.1:8080)")
    var listen: String?
    @Option(help: "LMDB role store directory, created if missing. [CREDVEND_DB] (default: ./credvend-data)")
    var db: String?
    @Option(help: "LMDB map size in bytes (the store's maximum size).")
    var mapSize: Int = 1 << 30
    @Option(help: "Expected token issuer, matched exactly against `iss`. Required. [CREDVEND_ISSUER]")
    var issuer: String?
    @Option(help: "JWKS URL. [CREDVEND_JWKS_URL] (default: <issuer>/.well-known/jwks.json)")
    var jwksUrl: String?
    @Option(help: "Read the JWKS from this file instead of fetching it (air-gapped hosts).")
    var jwksFile: String?
    @Option(help: "AWS region for STS. [AWS_REGION] (default: us-east-1)")
    var region: String?
    @Option(help: "STS endpoint URL. [CREDVEND_STS_ENDPOINT] (default: https://sts.<region>.amazonaws.com)")
    var stsEndpoint: String?
    @Option(help: "Leeway in seconds for exp, nbf and iat.")
    var clockSkew: Int = 60
    @Option(help: "A scope every token must carry (repeatable).")
    var requiredScope: [String] = []
    @Flag(
        help:
            "Refuse tokens that are not bound to a client certificate (cnf.x5t#S256). [CREDVEND_REQUIRE_BOUND_TOKENS=1]"
    )
    var requireBoundTokens = false
    @Option(
        help: "Re-fetch cached credentials once they have less than this many seconds left; no response carries less."
    )
    var refreshBuffer: Int = 900
    @Option(help: "STS calls in flight at most, all carried by one thread; fewer while STS answers Throttling.")
    var stsConcurrency: Int = STSCallPool.Settings.default.concurrency
    @Option(help: "Requests that may wait for an STS call to start; more are answered 503 with Retry-After.")
    var stsQueue: Int = STSCallPool.Settings.default.queueLimit
    @Option(help: "Seconds a request may wait for its STS call to start; then 503 with Retry-After.")
    var stsQueueWait: Double = 2
    @Option(help: "HTTP worker threads (default: number of cores).")
    var threads: Int?
    @Option(help: "Connections the listener holds at once (default: the open-file limit less 128, at most 16384).")
    var connectionLimit: Int?
    @Option(help: "Connections one client address may hold at once; 0: no limit.")
    var perAddressConnectionLimit: Int = 64
    @Option(
        help:
            "Seconds a request's head and body may take, from the accept or the previous response; then the connection is closed."
    )
    var requestDeadline: Int = 10
    @Option(help: "Serve the admin API on this Unix socket (mode 0600).")
    var adminSocket: String?
    @Option(help: "Serve the admin API under /admin/ for bearer tokens listed in this file (ROLE SHA256HEX per line).")
    var adminTokenFile: String?
    @Option(help: "Append one JSON line per vending decision and admin change to this file (mode 0600).")
    var auditLog: String?
    @Flag(help: "Fail a request with 503 when its audit record cannot be written.")
    var auditRequired = false
    @Option(
        help: "Key (at least 32 bytes, file mode 0600) for the audit log's token HMACs; random per start if not given."
    )
    var auditHmacKeyFile: String?
    @Option(help: "PEM certificate chain (server first): serve HTTPS only. [CREDVEND_TLS_CERT]")
    var tlsCert: String?
    @Option(help: "PEM private key of --tls-cert; no access for group or others (chmod 600). [CREDVEND_TLS_KEY]")
    var tlsKey: String?
    @Option(help: "PEM CAs to verify client certificates against (mutual TLS). [CREDVEND_CLIENT_CA]")
    var clientCa: String?
    @Option(help: "With --client-ca: required (a connection without a valid certificate fails) or optional.")
    var clientCert: String?
    @Flag(
        help:
            "Allow http:// URLs to non-loopback hosts (issuer, JWKS, STS) and a plain-HTTP --listen on a non-loopback address. Never in production."
    )
    var allowInsecureHttp = false
    // Several replicas (docs/replicas.md): the DynamoDB roles table as the source of truth.
    @Option(help: "DynamoDB table of role mappings; --db becomes this replica's copy. [CREDVEND_ROLES_TABLE]")
    var rolesTable: String?
    @Option(help: "AWS region of --roles-table. (default: --region)")
    var rolesTableRegion: String?
    @Option(help: "DynamoDB endpoint URL. (default: https://dynamodb.<region>.amazonaws.com)")
    var dynamodbEndpoint: String?
    @Option(help: "Seconds between complete scans of --roles-table, jittered by 20%.")
    var rolesSyncInterval: Int = 15
    @Option(help: "Not ready, and vending 503, once the last successful sync is this many seconds old. (default: off)")
    var rolesMaxStaleness: Int?
    @Option(help: "Bucket for table items without one. (default: no session policy for them)")
    var rolesDefaultBucket: String?
    @Flag(help: "Apply a sync that removes more than half of the mappings (refused by default).")
    var rolesAllowMassDelete = false

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        func pick(_ flag: String?, _ variable: String) -> String? {
            flag ?? env[variable].flatMap { $0.isEmpty ? nil : $0 }
        }
        var config = ServeConfiguration(issuer: pick(issuer, "CREDVEND_ISSUER") ?? "")
        let listenText = pick(listen, "CREDVEND_LISTEN") ?? "127.0.0.1:8080"
        guard let (host, port) = HostPort.parse(listenText) else {
            throw ValidationError("--listen \"\(listenText)\" must be HOST:PORT, e.g. 127.0.0.1:8080")
        }
        config.listenHost = host
        config.listenPort = port
        config.dbPath = pick(db, "CREDVEND_DB") ?? "./credvend-data"
        config.mapSize = mapSize
        config.jwksURL = pick(jwksUrl, "CREDVEND_JWKS_URL")
        config.jwksFile = jwksFile
        config.region = pick(region, "AWS_REGION") ?? "us-east-1"
        config.stsEndpoint = pick(stsEndpoint, "CREDVEND_STS_ENDPOINT")
        config.clockSkew = TimeInterval(clockSkew)
        config.requiredScopes = requiredScope
        switch env["CREDVEND_REQUIRE_BOUND_TOKENS"] ?? "" {
        case "", "0", "false": config.requireBoundTokens = requireBoundTokens
        case "1", "true": config.requireBoundTokens = true
        case let other:
            throw ValidationError("CREDVEND_REQUIRE_BOUND_TOKENS \"\(other)\" must be 1, true, 0 or false")
        }
        config.refreshBuffer = TimeInterval(refreshBuffer)
        config.stsPool = STSCallPool.Settings(
            concurrency: stsConcurrency,
            queueLimit: stsQueue,
            queueWait: .nanoseconds(Int64((stsQueueWait.isFinite ? max(0, min(stsQueueWait, 3600)) : 0) * 1e9))
        )
        if let threads { config.threads = max(1, threads) }
        config.connectionLimit = connectionLimit
        config.perAddressConnectionLimit = perAddressConnectionLimit
        config.requestDeadlineSeconds = requestDeadline
        config.adminSocket = adminSocket
        config.adminTokenFile = adminTokenFile
        config.auditLog = auditLog
        config.auditRequired = auditRequired
        config.auditHMACKeyFile = auditHmacKeyFile
        config.allowInsecureHTTP = allowInsecureHttp
        config.tlsCertificateFile = pick(tlsCert, "CREDVEND_TLS_CERT")
        config.tlsKeyFile = pick(tlsKey, "CREDVEND_TLS_KEY")
        config.clientCAFile = pick(clientCa, "CREDVEND_CLIENT_CA")
        if let clientCert {
            guard let mode = TLSServerConfiguration.ClientCertificates(rawValue: clientCert) else {
                throw ValidationError("--client-cert \"\(clientCert)\" must be required or optional")
            }
            config.clientCertificates = mode
        }
        if let table = pick(rolesTable, "CREDVEND_ROLES_TABLE") {
            var t = RoleTableConfiguration(table: table)
            t.region = rolesTableRegion
            t.endpoint = dynamodbEndpoint
            t.syncInterval = TimeInterval(rolesSyncInterval)
            t.maxStaleness = rolesMaxStaleness.map(TimeInterval.init)
            t.defaultBucket = rolesDefaultBucket
            t.allowMassDelete = rolesAllowMassDelete
            config.rolesTable = t
        } else if rolesTableRegion != nil || dynamodbEndpoint != nil || rolesMaxStaleness != nil
            || rolesDefaultBucket != nil || rolesAllowMassDelete
        {
            throw ValidationError("the --roles-* and --dynamodb-endpoint flags need --roles-table NAME")
        }
        do {
            try config.validate()
        } catch {
            throw ValidationError(error.message)
        }
        let runtime = ServeRuntime(
            configuration: config,
            logRing: CLILogging.ring,
            logger: Logger(label: "credvend.serve")
        )
        do {
            try await runtime.run()
        } catch {
            CLILogging.fail("credvend serve: \(error)")
        }
    }
}
