/// One row of the role store: which IAM role a client_id gets, and how far the
/// vended credentials reach in S3 (docs/reference.md#role-records).
public struct RoleMapping: Codable, Sendable, Hashable {
    public var clientId: String
    public var roleArn: String
    public var serverName: String?
    public var bucket: String?
    public var s3PathPrefix: String?
    public var permission: Permission
    public var sessionDurationSeconds: Int

    public static let defaultSessionDuration = 3600

    public init(clientId: String, roleArn: String, serverName: String? = nil, bucket: String? = nil,
                s3PathPrefix: String? = nil, permission: Permission = .write,
                sessionDurationSeconds: Int = RoleMapping.defaultSessionDuration) {
        self.clientId = clientId
        self.roleArn = roleArn
        self.serverName = serverName
        self.bucket = bucket
        self.s3PathPrefix = s3PathPrefix
        self.permission = permission
        self.sessionDurationSeconds = sessionDurationSeconds
    }

    enum CodingKeys: String, CodingKey {
        case clientId = "client_id", roleArn = "role_arn", serverName = "server_name", bucket
        case s3PathPrefix = "s3_path_prefix", permission, sessionDurationSeconds = "session_duration_s"
    }
}

/// S3 permission levels: each includes the one before it.
public enum Permission: String, Codable, Sendable, CaseIterable {
    case write
    case readWrite = "read-write"
    case full
}
