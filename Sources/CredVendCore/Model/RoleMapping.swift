/// One row of the role store: which IAM role a client_id gets, and how far the
/// vended credentials reach in S3 (docs/reference.md#role-records).
///
/// Equal means equal bytes: two records are the same only when every text field
/// has the same UTF-8 bytes. Swift's `String ==` calls canonically equivalent text
/// equal (NFC `é` and NFD `e` + U+0301), but S3 keys and IAM resources are bytes,
/// so a prefix rewritten from NFC to NFD names other objects and is another record.
public struct RoleMapping: Codable, Sendable, Hashable {
    public var clientId: String
    public var roleArn: String
    public var serverName: String?
    public var bucket: String?
    public var s3PathPrefix: String?
    public var permission: Permission
    public var sessionDurationSeconds: Int
    /// Named roles beside this record's own (docs/reference.md#named-roles); empty for most records.
    public var roles: [NamedRole]

    public static let defaultSessionDuration = 3600

    public init(
        clientId: String,
        roleArn: String,
        serverName: String? = nil,
        bucket: String? = nil,
        s3PathPrefix: String? = nil,
        permission: Permission = .write,
        sessionDurationSeconds: Int = RoleMapping.defaultSessionDuration,
        roles: [NamedRole] = []
    ) {
        self.clientId = clientId
        self.roleArn = roleArn
        self.serverName = serverName
        self.bucket = bucket
        self.s3PathPrefix = s3PathPrefix
        self.permission = permission
        self.sessionDurationSeconds = sessionDurationSeconds
        self.roles = roles
    }

    public static func == (a: RoleMapping, b: RoleMapping) -> Bool {
        a.clientId.hasSameBytes(as: b.clientId) && a.roleArn.hasSameBytes(as: b.roleArn)
            && Self.sameBytes(a.serverName, b.serverName) && Self.sameBytes(a.bucket, b.bucket)
            && Self.sameBytes(a.s3PathPrefix, b.s3PathPrefix) && a.permission == b.permission
            && a.sessionDurationSeconds == b.sessionDurationSeconds && a.roles == b.roles
    }

    /// Each text by `String`'s own hash: texts of equal bytes are equal strings, so equal
    /// records hash equal, and ASCII is fed in one pass, not one combine per byte (with an
    /// array of the optional fields, that was a third of a cache miss).
    public func hash(into hasher: inout Hasher) {
        hasher.combine(clientId)
        hasher.combine(roleArn)
        hasher.combine(serverName)
        hasher.combine(bucket)
        hasher.combine(s3PathPrefix)
        hasher.combine(permission)
        hasher.combine(sessionDurationSeconds)
        hasher.combine(roles)
    }

    private static func sameBytes(_ a: String?, _ b: String?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case let (a?, b?): return a.hasSameBytes(as: b)
        default: return false
        }
    }

    enum CodingKeys: String, CodingKey {
        case clientId = "client_id"
        case roleArn = "role_arn"
        case serverName = "server_name"
        case bucket
        case s3PathPrefix = "s3_path_prefix"
        case permission
        case sessionDurationSeconds = "session_duration_s"
        case roles
    }
}

/// S3 permission levels: each includes the one before it.
public enum Permission: String, Codable, Sendable, CaseIterable {
    case write
    case readWrite = "read-write"
    case full
}
