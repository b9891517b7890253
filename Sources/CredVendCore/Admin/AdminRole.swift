/// What an admin-API caller may do. `admin` includes everything `reader` may.
public enum AdminRole: String, Sendable, CaseIterable, Comparable {
    /// Read-only: roles, info, logs.
    case reader
    /// Reads and writes the role store.
    case admin

    /// Whether a caller with this role may use a route that requires `required`.
    public func satisfies(_ required: AdminRole) -> Bool { self >= required }

    public static func < (a: AdminRole, b: AdminRole) -> Bool { a.rank < b.rank }

    private var rank: Int {
        switch self {
        case .reader: 0
        case .admin: 1
        }
    }
}

/// Who made an admin request, as the access log and the audit log show it.
public enum AdminCaller: Sendable, Equatable {
    /// Connected to `--admin-socket`: the socket's file permissions are the access
    /// control (docs/reference.md#admin-api), so the caller acts as `admin`.
    case socket
    /// Presented a bearer token listed in `--admin-token-file`; `tokenHashPrefix` is the
    /// first 8 hex characters of the token's SHA-256 (the start of its line in the file).
    case token(role: AdminRole, tokenHashPrefix: String)

    public var role: AdminRole {
        switch self {
        case .socket: .admin
        case .token(let role, _): role
        }
    }

    /// `socket` or `token:ROLE:HASHPREFIX`, for log lines.
    public var logValue: String {
        switch self {
        case .socket: "socket"
        case .token(let role, let prefix): "token:\(role.rawValue):\(prefix)"
        }
    }
}
