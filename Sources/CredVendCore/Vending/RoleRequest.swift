/// What a vending request asks for beyond the token (docs/reference.md#post-v1credentials):
/// a named role, a session duration and a narrower S3 prefix, each optional.
/// Other body fields are ignored, as they always were.
public struct RoleRequest: Sendable, Equatable {
    /// nil: the record's own role (as `"default"`).
    public var role: String?
    public var durationSeconds: Int?
    public var s3PathPrefix: String?

    public init(role: String? = nil, durationSeconds: Int? = nil, s3PathPrefix: String? = nil) {
        self.role = role
        self.durationSeconds = durationSeconds
        self.s3PathPrefix = s3PathPrefix
    }

    /// The fields of the body's JSON object, as `TokenExtractor.read` parsed it; nil (an
    /// empty body or a plain `{"access_token": ...}` one) asks for nothing. A wrong type is a 400.
    public static func parse(fields: [String: JSONValue]?) -> Result<RoleRequest, APIError> {
        guard let object = fields else { return .success(RoleRequest()) }
        var request = RoleRequest()
        func present(_ name: String) -> JSONValue? {
            guard let value = object[name], value != .null else { return nil }
            return value
        }
        if let value = present("role") {
            guard let name = value.stringValue, !name.isEmpty else {
                return .failure(.invalidRequest("\"role\" must be a non-empty string (a role name)"))
            }
            request.role = name
        }
        if let value = present("duration_seconds") {
            guard let seconds = value.numberValue, seconds.rounded() == seconds, abs(seconds) < 1e9 else {
                return .failure(.invalidRequest("\"duration_seconds\" must be a whole number of seconds"))
            }
            request.durationSeconds = Int(seconds)
        }
        if let value = present("s3_path_prefix") {
            guard let prefix = value.stringValue else {
                return .failure(.invalidRequest("\"s3_path_prefix\" must be a string (a key prefix)"))
            }
            request.s3PathPrefix = prefix
        }
        return .success(request)
    }

    /// The role name as logged and audited: `default` for the record's own role.
    public var roleName: String { role ?? NamedRole.defaultName }

    /// What credentials are cached under within one client: two requests with
    /// different keys never share credentials (prefix compared as bytes).
    public var key: GrantKey {
        GrantKey(role: roleName, durationSeconds: durationSeconds, s3PathPrefix: s3PathPrefix.map { Array($0.utf8) })
    }

    /// The grant this request gets from `record`: the named role (or the record's
    /// own) as a record of the client, with the asked duration and narrowed prefix;
    /// or why not (403 for a role or prefix the client may not have, 400 for a duration).
    public func grant(from record: RoleMapping) -> Result<RoleMapping, APIError> {
        var grant: RoleMapping
        switch role {
        case nil, NamedRole.defaultName?:
            grant = record
            grant.roles = []
        case let name?:
            guard let named = record.roles.first(where: { $0.name.hasSameBytes(as: name) }) else {
                return .failure(
                    .accessDenied(
                        "client_id \(record.clientId) has no role named \(RoleMappingJSON.quoted(RoleRules.cut(name, toBytes: 64))); ask an operator to add it"
                    )
                )
            }
            grant = named.grant(of: record.clientId, serverName: record.serverName)
        }
        if let seconds = durationSeconds {
            let range = AWSRules.sessionDurationRange.lowerBound...grant.sessionDurationSeconds
            guard range.contains(seconds) else {
                return .failure(
                    .invalidRequest(
                        "\"duration_seconds\" must be from \(range.lowerBound) to \(range.upperBound) "
                            + "(role \(roleName)'s session_duration_s); got \(seconds)"
                    )
                )
            }
            grant.sessionDurationSeconds = seconds
        }
        if let prefix = s3PathPrefix {
            if let problem = S3PrefixNarrowing.problem(prefix, inside: grant) {
                return .failure(.accessDenied("\"s3_path_prefix\" \(problem) (role \(roleName))"))
            }
            grant.s3PathPrefix = prefix
        }
        return .success(grant)
    }
}
