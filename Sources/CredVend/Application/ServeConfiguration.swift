public import CredVendCore
import CredVendSystem
public import Foundation

/// Everything `credvend serve` needs, validated once at start-up so that a bad
/// flag is a clear message before anything listens.
public struct ServeConfiguration: Sendable {
    public var listenHost = "127.0.0.1"
    public var listenPort: UInt16 = 8080
    public var dbPath = "./credvend-data"
    public var mapSize = 1 << 30
    public var issuer: String
    public var jwksURL: String?
    public var jwksFile: String?
    public var region = "us-east-1"
    public var stsEndpoint: String?
    public var clockSkew: TimeInterval = 60
    public var requiredScopes: [String] = []
    /// `--require-bound-tokens`: refuse tokens that are not bound to a client certificate.
    public var requireBoundTokens = false
    public var refreshBuffer: TimeInterval = 900
    /// `--sts-concurrency`, `--sts-queue`, `--sts-queue-wait`: `STSCallPool`'s sizes.
    public var stsPool = STSCallPool.Settings.default
    public var allowInsecureHTTP = false
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    /// Connections the main listener holds at once; nil: sized from the open-file limit
    /// (`ConnectionBudget.defaultLimit`).
    public var connectionLimit: Int?
    public var perAddressConnectionLimit = 64
    public var connectionTimeoutSeconds = 30
    public var requestDeadlineSeconds = 10
    public var adminSocket: String?
    public var adminTokenFile: String?
    public var auditLog: String?
    public var auditRequired = false
    /// Key for the audit log's token identities; random per start when nil.
    public var auditHMACKeyFile: String?
    /// HTTPS on the main listener: both or neither.
    public var tlsCertificateFile: String?
    public var tlsKeyFile: String?
    /// Verify client certificates against these CAs (needs the two above).
    public var clientCAFile: String?
    /// nil: `required` when `clientCAFile` is given.
    public var clientCertificates: TLSServerConfiguration.ClientCertificates?
    /// `--roles-table`: the DynamoDB table this replica's store is a copy of.
    public var rolesTable: RoleTableConfiguration?

    public init(issuer: String) { self.issuer = issuer }

    /// Connections the admin socket's listener may hold.
    public static let adminConnectionLimit = 64

    private var otherConnections: Int { adminSocket == nil ? 0 : Self.adminConnectionLimit }

    /// The main listener's connection limit, given the open-file limit (nil: unlimited).
    public func effectiveConnectionLimit(openFileLimit: Int?) -> Int {
        connectionLimit
            ?? ConnectionBudget.defaultLimit(openFileLimit: openFileLimit, otherConnections: otherConnections)
    }

    public var effectiveJWKSURL: String {
        jwksURL ?? (issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer) + "/.well-known/jwks.json"
    }

    public var effectiveSTSEndpoint: String { stsEndpoint ?? "https://sts.\(region).amazonaws.com" }

    /// The main listener's TLS, nil for plain HTTP.
    public var tls: TLSServerConfiguration? {
        guard let tlsCertificateFile, let tlsKeyFile else { return nil }
        return TLSServerConfiguration(
            certificateFile: tlsCertificateFile,
            keyFile: tlsKeyFile,
            clientCAFile: clientCAFile,
            clientCertificates: clientCertificates ?? .required
        )
    }

    /// TLS flags that go together; a plain listener only on loopback unless insecure HTTP is allowed.
    func validateTLS() throws(ConfigurationError) {
        guard (tlsCertificateFile == nil) == (tlsKeyFile == nil) else {
            throw ConfigurationError("--tls-cert and --tls-key go together: give both or neither")
        }
        if clientCAFile != nil && tlsCertificateFile == nil {
            throw ConfigurationError("--client-ca needs --tls-cert and --tls-key (client certificates need HTTPS)")
        }
        if clientCertificates != nil && clientCAFile == nil {
            throw ConfigurationError(
                "--client-cert needs --client-ca (the CAs client certificates are verified against)"
            )
        }
        if tlsCertificateFile == nil && !allowInsecureHTTP && !URLCheck.isLoopback(listenHost) {
            throw ConfigurationError(
                "--listen \(listenHost) is not a loopback address, and without --tls-cert and --tls-key tokens and "
                    + "credentials would cross the network in clear text: give a certificate, listen on 127.0.0.1 "
                    + "behind a TLS proxy, or pass --allow-insecure-http"
            )
        }
    }

    /// Refuses what would make the server unsafe or unusable, naming the flag.
    public func validate() throws(ConfigurationError) {
        guard !issuer.isEmpty else { throw ConfigurationError("--issuer is required (or CREDVEND_ISSUER)") }
        try URLCheck.check(issuer, flag: "--issuer", allowInsecure: allowInsecureHTTP)
        if jwksFile == nil {
            try URLCheck.check(effectiveJWKSURL, flag: "--jwks-url", allowInsecure: allowInsecureHTTP)
        }
        try URLCheck.check(effectiveSTSEndpoint, flag: "--sts-endpoint", allowInsecure: allowInsecureHTTP)
        try validateTLS()
        guard clockSkew >= 0, clockSkew <= 600 else { throw ConfigurationError("--clock-skew must be 0-600 seconds") }
        if let limit = connectionLimit {
            guard limit >= 1 else { throw ConfigurationError("--connection-limit must be at least 1") }
            let files = ResourceLimits.openFiles()
            let most = ConnectionBudget.maximum(openFileLimit: files, otherConnections: otherConnections)
            guard limit <= most else {
                throw ConfigurationError(
                    "--connection-limit \(limit) needs more descriptors than the open-file limit "
                        + "(ulimit -n \(files ?? 0)) leaves: at most \(most); raise ulimit -n or lower the limit"
                )
            }
        }
        guard perAddressConnectionLimit >= 0 else {
            throw ConfigurationError("--per-address-connection-limit must be at least 0 (0: no limit)")
        }
        guard (1...3600).contains(requestDeadlineSeconds) else {
            throw ConfigurationError("--request-deadline must be 1-3600 seconds")
        }
        guard refreshBuffer >= 60 else { throw ConfigurationError("--refresh-buffer must be at least 60 seconds") }
        guard (1...1024).contains(stsPool.concurrency) else {
            throw ConfigurationError("--sts-concurrency must be 1-1024")
        }
        guard (0...1_000_000).contains(stsPool.queueLimit) else {
            throw ConfigurationError("--sts-queue must be 0-1000000")
        }
        guard stsPool.queueWait > .zero, stsPool.queueWait <= .seconds(60) else {
            throw ConfigurationError("--sts-queue-wait must be more than 0 and at most 60 seconds")
        }
        if auditRequired && auditLog == nil { throw ConfigurationError("--audit-required needs --audit-log PATH") }
        if auditHMACKeyFile != nil && auditLog == nil {
            throw ConfigurationError("--audit-hmac-key-file needs --audit-log PATH")
        }
        if let problem = AWSRules.region(region) {
            throw ConfigurationError("--region \"\(region)\" is not an AWS region name: \(problem)")
        }
        try rolesTable?.validate(serveRegion: region, allowInsecureHTTP: allowInsecureHTTP)
    }
}
