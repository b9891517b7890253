import Foundation

/// Why one item of the roles table was not taken: its client_id (when readable), the
/// attribute, and what is wrong. Logged and counted; the item's previous valid version stays.
public struct RoleTableItemProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var clientId: String?
    public var attribute: String
    public var message: String

    public init(clientId: String?, attribute: String, message: String) {
        self.clientId = clientId
        self.attribute = attribute
        self.message = message
    }

    public var description: String {
        let who =
            clientId.map { "client_id \(JSONText.quote(RoleRules.cut($0, toBytes: 128)))" }
            ?? "an item without a readable client_id"
        return "\(who), attribute \(JSONText.quote(attribute)): \(message)"
    }
}

/// An item of the roles table as a role record (docs/replicas.md#items).
///
/// The table holds what seeds/004's Terraform writes (`client_id`, `role_arn`,
/// `server_name`, `s3_path_prefix`, all `S`) and credvend's optional attributes
/// (`bucket` S, `permission` S, `session_duration_s` N, `version` N, and `roles` S: the
/// named roles as the JSON array a role record holds, read by the record's own strict
/// parser). Other attributes are left alone (a table may carry more). An empty string
/// counts as absent.
///
/// Without a `bucket` the item gets `defaultBucket`; without that either, the record
/// has no bucket and hence no session policy: the role's own IAM policy governs, as in
/// the seed. Its `s3_path_prefix` then narrows nothing (a prefix is a key prefix inside
/// a bucket), so it is not carried into the record.
public enum RoleTableItem {
    public static let knownAttributes: Set<String> = [
        "client_id", "role_arn", "server_name", "bucket", "s3_path_prefix", "permission", "session_duration_s",
        "version", "roles",
    ]

    public static func mapping(
        _ item: [String: DynamoDBAttributeValue],
        defaultBucket: String?
    ) -> Result<RoleMapping, RoleTableItemProblem> {
        var clientId: String? = nil
        if case .string(let id)? = item["client_id"] { clientId = id }
        func fail(_ attribute: String, _ message: String) -> Result<RoleMapping, RoleTableItemProblem> {
            .failure(RoleTableItemProblem(clientId: clientId, attribute: attribute, message: message))
        }
        /// An `S` attribute; nil when absent or empty. `.failure` when of another type.
        func text(_ name: String) -> Result<String?, RoleTableItemProblem> {
            switch item[name] {
            case nil: return .success(nil)
            case .string(let s)?: return .success(s.isEmpty ? nil : s)
            case let other?:
                return .failure(
                    RoleTableItemProblem(
                        clientId: clientId,
                        attribute: name,
                        message: "must be a string (S), not \(other.typeName)"
                    )
                )
            }
        }
        var texts: [String: String] = [:]
        for name in ["client_id", "role_arn", "server_name", "bucket", "s3_path_prefix", "permission", "roles"] {
            switch text(name) {
            case .success(let value?): texts[name] = value
            case .success(nil): break
            case .failure(let problem): return .failure(problem)
            }
        }
        guard let id = texts["client_id"] else { return fail("client_id", "is required (a non-empty S)") }
        guard let roleArn = texts["role_arn"] else { return fail("role_arn", "is required (a non-empty S)") }
        var seconds = RoleMapping.defaultSessionDuration
        switch item["session_duration_s"] {
        case nil: break
        case .number(let n)?:
            guard let value = Int(n) else { return fail("session_duration_s", "must be a whole number of seconds") }
            seconds = value
        case let other?: return fail("session_duration_s", "must be a number (N), not \(other.typeName)")
        }
        switch item["version"] {
        case nil: break
        case .number(let n)?:
            guard let v = Int(n), v >= 0 else { return fail("version", "must be a whole number, 0 or more") }
        case let other?: return fail("version", "must be a number (N), not \(other.typeName)")
        }
        var permission = Permission.write
        if let level = texts["permission"] {
            guard let parsed = Permission(rawValue: level) else {
                return fail("permission", RoleRules.permissionProblem(level))
            }
            permission = parsed
        }
        var named: [NamedRole] = []
        if let roles = texts["roles"] {
            switch namedRoles(roles) {
            case .success(let list): named = list
            case .failure(let problem): return fail(problem.field ?? "roles", problem.message)
            }
        }
        let bucket = texts["bucket"] ?? defaultBucket
        let mapping = RoleMapping(
            clientId: id,
            roleArn: roleArn,
            serverName: texts["server_name"],
            bucket: bucket,
            s3PathPrefix: bucket == nil ? nil : texts["s3_path_prefix"],
            permission: permission,
            sessionDurationSeconds: seconds,
            roles: named
        )
        do {
            try mapping.validate()
        } catch {
            return fail(error.field ?? "item", error.message)
        }
        return .success(mapping)
    }

    /// The `roles` attribute through the record parser, so a named role in the table obeys
    /// exactly the rules (and gets the messages) of one in `credvend roles import`.
    private static func namedRoles(_ json: String) -> Result<[NamedRole], RoleValidationError> {
        let record = #"{"client_id":"c","role_arn":"arn:aws:iam::000000000000:role/r","roles":"# + json + "}"
        do throws(RoleValidationError) {
            return .success(try RoleMappingJSON.decode(Data(record.utf8)).roles)
        } catch {
            return .failure(error)
        }
    }
}
