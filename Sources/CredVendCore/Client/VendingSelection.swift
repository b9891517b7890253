/// Which credentials a `POST /v1/credentials` asks for beyond the client's mapping: a
/// named role, a session length and a narrower S3 prefix. All nil: the mapping's own
/// (default) role, as every client before named roles asked, so such a request works
/// against any server.
public struct VendingSelection: Sendable, Hashable, CustomStringConvertible {
    /// The name the agent's configuration uses for the mapping's own role: a request for
    /// it carries no `role` field.
    public static let defaultRoleName = "default"

    public var role: String?
    public var durationSeconds: Int?
    public var s3PathPrefix: String?

    public init(role: String? = nil, durationSeconds: Int? = nil, s3PathPrefix: String? = nil) {
        self.role = role == Self.defaultRoleName ? nil : role
        self.durationSeconds = durationSeconds
        self.s3PathPrefix = s3PathPrefix
    }

    /// The role's name as configured and logged (`default` for the mapping's own).
    public var roleName: String { role ?? Self.defaultRoleName }

    /// The JSON fields after `access_token`, each with its leading comma; empty for the default.
    var jsonFields: String {
        var s = ""
        if let role { s += ",\"role\":\(JSONText.quote(role))" }
        if let durationSeconds { s += ",\"duration_seconds\":\(durationSeconds)" }
        if let s3PathPrefix { s += ",\"s3_path_prefix\":\(JSONText.quote(s3PathPrefix))" }
        return s
    }

    public var description: String {
        var parts = ["role=\(roleName)"]
        if let durationSeconds { parts.append("duration=\(durationSeconds)") }
        if let s3PathPrefix { parts.append("s3_path_prefix=\(s3PathPrefix)") }
        return parts.joined(separator: " ")
    }
}
