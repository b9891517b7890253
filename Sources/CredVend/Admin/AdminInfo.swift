public import CredVendCore
public import Foundation

/// What `GET /admin/v1/info` reports (docs/reference.md#admin-routes). Built from the running server's parts
/// each time it is asked; holds no secret (no key, token or credential, not even the
/// source access key id).
public struct AdminInfo: Sendable {
    public var version = CredVendVersion.string
    public var startedAt: Date
    public var now: Date
    public var issuer: String
    /// `url` or `file`, and the URL or path.
    public var jwksSource: String
    public var jwksLocation: String
    public var jwksKeyIds: [String]
    public var jwksFetchedAt: Date?
    public var jwksLastAttempt: Date?
    public var jwksLastOutcome: String?
    public var roleStorePath: String
    /// nil when the store cannot be read.
    public var roleCount: Int?
    public var cacheEntries: Int
    public var sourceOrigin: String?
    public var sourceExpiration: Date?
    public var sourceLoaded: Bool
    public var adminSocket: String?
    public var adminTokenFile: String?
    public var adminTokens: Int?
    public var auditLog: String?
    public var auditRequired: Bool
    public var auditWriteFailures: Int
    /// The main listener's server certificate; nil over plain HTTP.
    public var tlsCertificate: TLSCertificateSummary?

    public init(
        startedAt: Date,
        now: Date,
        issuer: String,
        jwksSource: String,
        jwksLocation: String,
        jwksKeyIds: [String],
        jwksFetchedAt: Date?,
        jwksLastAttempt: Date?,
        jwksLastOutcome: String?,
        roleStorePath: String,
        roleCount: Int?,
        cacheEntries: Int,
        sourceOrigin: String?,
        sourceExpiration: Date?,
        sourceLoaded: Bool,
        adminSocket: String?,
        adminTokenFile: String?,
        adminTokens: Int?,
        auditLog: String?,
        auditRequired: Bool,
        auditWriteFailures: Int,
        tlsCertificate: TLSCertificateSummary? = nil
    ) {
        self.startedAt = startedAt
        self.now = now
        self.issuer = issuer
        self.jwksSource = jwksSource
        self.jwksLocation = jwksLocation
        self.jwksKeyIds = jwksKeyIds
        self.jwksFetchedAt = jwksFetchedAt
        self.jwksLastAttempt = jwksLastAttempt
        self.jwksLastOutcome = jwksLastOutcome
        self.roleStorePath = roleStorePath
        self.roleCount = roleCount
        self.cacheEntries = cacheEntries
        self.sourceOrigin = sourceOrigin
        self.sourceExpiration = sourceExpiration
        self.sourceLoaded = sourceLoaded
        self.adminSocket = adminSocket
        self.adminTokenFile = adminTokenFile
        self.adminTokens = adminTokens
        self.auditLog = auditLog
        self.auditRequired = auditRequired
        self.auditWriteFailures = auditWriteFailures
        self.tlsCertificate = tlsCertificate
    }

    /// The response body (keys sorted; absent values are `null`, not left out).
    public var json: JSONValue {
        func date(_ d: Date?) -> JSONValue { d.map { .string(ISO8601.string($0)) } ?? .null }
        func text(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }
        func int(_ n: Int?) -> JSONValue { n.map { .number(Double($0)) } ?? .null }
        return [
            "version": .string(version),
            "started_at": date(startedAt),
            "uptime_s": int(max(0, Int(now.timeIntervalSince(startedAt)))),
            "issuer": .string(issuer),
            "jwks": [
                "source": .string(jwksSource),
                "location": .string(jwksLocation),
                "key_ids": .array(jwksKeyIds.map { .string($0) }),
                "keys_fetched_at": date(jwksFetchedAt),
                "last_refresh_at": date(jwksLastAttempt),
                "last_refresh_outcome": text(jwksLastOutcome),
            ],
            "role_store": ["path": .string(roleStorePath), "records": int(roleCount)],
            "credential_cache": ["entries": int(cacheEntries)],
            "source_credentials": [
                "loaded": .bool(sourceLoaded),
                "origin": text(sourceOrigin),
                "expiration": date(sourceExpiration),
            ],
            "admin": ["socket": text(adminSocket), "token_file": text(adminTokenFile), "tokens": int(adminTokens)],
            "audit": [
                "log": text(auditLog),
                "required": .bool(auditRequired),
                "write_failures": int(auditWriteFailures),
            ],
            "tls": tlsCertificate.map { c -> JSONValue in
                ["subject": .string(c.subject), "not_before": date(c.notBefore), "not_after": date(c.notAfter)]
            } ?? .null,
        ]
    }
}
