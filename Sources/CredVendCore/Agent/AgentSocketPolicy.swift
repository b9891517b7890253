/// The two answers an agent socket gives: the credential_process JSON and the
/// container-credentials shape.
public enum AgentEndpoint: String, Sendable {
    case credentialProcess = "/v1/credentials"
    case containerCredentials = "/v1/container-credentials"
}

/// What one agent socket may hand out, and the decision for one request on it: which
/// endpoint and which credentials, or the refusal. Pure, so that "a role the socket does
/// not list is refused before the server is asked" is tested without sockets.
public struct AgentSocketPolicy: Sendable, Equatable {
    /// The roles this socket hands out, `default` naming the mapping's own role.
    public var roles: [String]
    /// The role of a request that names none; one of `roles`.
    public var defaultRole: String

    public init(roles: [String], defaultRole: String) {
        self.roles = roles
        self.defaultRole = defaultRole
    }

    /// STS's shortest session, and the longest any role allows.
    public static let durationRange = 900...43200

    public func decide(_ request: HTTPRequest) -> Result<(AgentEndpoint, VendingSelection), APIError> {
        guard let endpoint = AgentEndpoint(rawValue: request.path) else { return .failure(.notFound) }
        guard request.method == "GET" || request.method == "HEAD" else {
            return .failure(.methodNotAllowed(["GET"]))
        }
        let query = request.query
        let known: Set<String> =
            endpoint == .credentialProcess ? ["role", "duration", "s3_path_prefix"] : ["role"]
        if let unknown = request.queryItems.first(where: { !known.contains($0.name) }) {
            return .failure(.invalidRequest("unknown query parameter \(unknown.name) on \(endpoint.rawValue)"))
        }
        let role = query["role"] ?? defaultRole
        guard roles.contains(role) else {
            return .failure(.accessDenied("role \(role) is not offered on this socket"))
        }
        var duration: Int?
        if let text = query["duration"] {
            guard let seconds = Int(text), Self.durationRange.contains(seconds) else {
                return .failure(
                    .invalidRequest("duration must be a number of seconds in 900-43200 (STS's minimum is 900 s)")
                )
            }
            duration = seconds
        }
        var prefix: String?
        if let text = query["s3_path_prefix"] {
            guard !text.isEmpty, text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) else {
                return .failure(.invalidRequest("s3_path_prefix must be non-empty printable ASCII"))
            }
            prefix = text
        }
        return .success((endpoint, VendingSelection(role: role, durationSeconds: duration, s3PathPrefix: prefix)))
    }
}
