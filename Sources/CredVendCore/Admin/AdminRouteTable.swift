/// Every admin operation. A handler exists for each case, but a request reaches it only
/// through a row of `AdminPolicy`'s table.
public enum AdminRoute: String, Sendable, CaseIterable {
    case listRoles, importRoles, getRole, putRole, deleteRole, info, logs

    /// Whether the route changes the role store (runs one at a time, writes audit records).
    public var isWrite: Bool {
        switch self {
        case .importRoles, .putRole, .deleteRole: true
        case .listRoles, .getRole, .info, .logs: false
        }
    }
}

/// One row of the authorization table: method and path pattern, the route it names, and
/// the least role allowed to use it. A `{name}` path segment matches any one segment.
public struct AdminRouteRule: Sendable {
    public let method: String
    public let pattern: String
    public let route: AdminRoute
    public let requires: AdminRole

    public init(_ method: String, _ pattern: String, _ route: AdminRoute, requires: AdminRole) {
        self.method = method
        self.pattern = pattern
        self.route = route
        self.requires = requires
    }

    /// `"PUT /admin/v1/roles/{client_id}"`, as the audit log names routes.
    public var name: String { "\(method) \(pattern)" }

    /// The values of the pattern's `{name}` segments, or nil when `path` does not match.
    func match(_ path: String) -> [String: String]? {
        let want = pattern.split(separator: "/", omittingEmptySubsequences: false)
        let have = path.split(separator: "/", omittingEmptySubsequences: false)
        guard want.count == have.count else { return nil }
        var parameters: [String: String] = [:]
        for (w, h) in zip(want, have) {
            if w.hasPrefix("{") && w.hasSuffix("}") {
                guard !h.isEmpty else { return nil }
                parameters[String(w.dropFirst().dropLast())] = String(h)
            } else if w != h {
                return nil
            }
        }
        return parameters
    }
}

/// What the policy decided for one request.
public enum AdminDecision: Sendable {
    case allow(AdminRouteRule, parameters: [String: String])
    case deny(APIError)
}

/// Authorization in one place, before any handler runs (a per-route role
/// interceptor): a table of route -> least role. A path the table does not list is
/// denied (404) whoever asks; a listed path with another method is 405; a caller
/// whose role is below the route's is 403.
public struct AdminPolicy: Sendable {
    public let rules: [AdminRouteRule]

    public init(rules: [AdminRouteRule]) { self.rules = rules }

    /// The table of docs/reference.md#admin-routes (and the all-or-nothing import of `credvend roles --admin-url`).
    public static let standard = AdminPolicy(rules: [
        AdminRouteRule("GET", "/admin/v1/roles", .listRoles, requires: .reader),
        AdminRouteRule("POST", "/admin/v1/roles:import", .importRoles, requires: .admin),
        AdminRouteRule("GET", "/admin/v1/roles/{client_id}", .getRole, requires: .reader),
        AdminRouteRule("PUT", "/admin/v1/roles/{client_id}", .putRole, requires: .admin),
        AdminRouteRule("DELETE", "/admin/v1/roles/{client_id}", .deleteRole, requires: .admin),
        AdminRouteRule("GET", "/admin/v1/info", .info, requires: .reader),
        AdminRouteRule("GET", "/admin/v1/logs", .logs, requires: .reader),
    ])

    public func decide(method: String, path: String, role: AdminRole) -> AdminDecision {
        var allowed: [String] = []
        for rule in rules {
            guard let parameters = rule.match(path) else { continue }
            guard rule.method == method else {
                if !allowed.contains(rule.method) { allowed.append(rule.method) }
                continue
            }
            guard role.satisfies(rule.requires) else {
                return .deny(
                    APIError(
                        status: 403,
                        code: "forbidden",
                        message:
                            "\(rule.name) needs the \(rule.requires.rawValue) role; this caller has \(role.rawValue)"
                    )
                )
            }
            return .allow(rule, parameters: parameters)
        }
        if !allowed.isEmpty { return .deny(.methodNotAllowed(allowed)) }
        return .deny(APIError(status: 404, code: "not_found", message: "no such admin endpoint"))
    }
}
