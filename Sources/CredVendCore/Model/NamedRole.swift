/// A role a client may ask for by name, beside the record's own (default) role
/// (docs/reference.md#named-roles). It has the record's grant fields and the
/// same rules; the record's `client_id` and `server_name` apply to it too.
///
/// Equal means equal bytes, as for `RoleMapping`.
public struct NamedRole: Codable, Sendable, Hashable {
    public var name: String
    public var roleArn: String
    public var bucket: String?
    public var s3PathPrefix: String?
    public var permission: Permission
    public var sessionDurationSeconds: Int

    /// What a request names to get the record's own role; no named role may take it.
    public static let defaultName = "default"

    public init(
        name: String,
        roleArn: String,
        bucket: String? = nil,
        s3PathPrefix: String? = nil,
        permission: Permission = .write,
        sessionDurationSeconds: Int = RoleMapping.defaultSessionDuration
    ) {
        self.name = name
        self.roleArn = roleArn
        self.bucket = bucket
        self.s3PathPrefix = s3PathPrefix
        self.permission = permission
        self.sessionDurationSeconds = sessionDurationSeconds
    }

    public static func == (a: NamedRole, b: NamedRole) -> Bool {
        a.grant(of: "") == b.grant(of: "") && a.name.hasSameBytes(as: b.name)
    }

    /// As `RoleMapping`'s: `String`'s own hash, coarser than equal bytes, so equal roles hash equal.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(roleArn)
        hasher.combine(bucket)
        hasher.combine(s3PathPrefix)
        hasher.combine(permission)
        hasher.combine(sessionDurationSeconds)
    }

    /// This role as a record of `clientId` (and `serverName`): what is validated,
    /// cached and sent to STS when it is asked for.
    public func grant(of clientId: String, serverName: String? = nil) -> RoleMapping {
        RoleMapping(
            clientId: clientId,
            roleArn: roleArn,
            serverName: serverName,
            bucket: bucket,
            s3PathPrefix: s3PathPrefix,
            permission: permission,
            sessionDurationSeconds: sessionDurationSeconds
        )
    }

    enum CodingKeys: String, CodingKey {
        case name
        case roleArn = "role_arn"
        case bucket
        case s3PathPrefix = "s3_path_prefix"
        case permission
        case sessionDurationSeconds = "session_duration_s"
    }
}
