public import CredVendCore
import Yams

/// A problem in the agent's configuration file: the line and key it is at, and what
/// to change. Never carries a value (a value may be a secret).
public struct AgentConfigError: Error, Sendable, CustomStringConvertible {
    public let line: Int
    public let key: String
    public let message: String

    public init(line: Int, key: String, _ message: String) {
        self.line = line
        self.key = key
        self.message = message
    }

    public var description: String { "line \(line): \(key): \(message)" }
}

/// One socket of the agent, as configured.
public struct AgentSocketConfiguration: Sendable, Equatable {
    public var path: String
    /// Permission bits, e.g. 0o660.
    public var mode: UInt32
    /// A group name or id; nil: the agent's own group.
    public var group: String?
    public var policy: AgentSocketPolicy
    /// Where the socket's entry starts, for messages found after parsing (an unknown group).
    public var line: Int
}

/// `credvend agent --config FILE` (docs/agent.md): the client settings once, then the
/// sockets. YAML; every key is checked, so a typo is refused at start, not ignored.
public struct AgentConfiguration: Sendable, Equatable {
    /// The client settings by their variable names (docs/reference.md#client-settings).
    public var client: [String: String]
    /// Seconds before expiry at which cached credentials are refreshed.
    public var refreshBuffer: Int
    public var sockets: [AgentSocketConfiguration]

    static let topKeys = ["client", "refresh_buffer", "sockets"]
    static let socketKeys = ["path", "mode", "group", "roles", "default_role"]

    public static func parse(_ text: String) throws(AgentConfigError) -> AgentConfiguration {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw AgentConfigError(line: 1, key: "sockets", "the file is empty")
            }
            root = node
        } catch let error as AgentConfigError {
            throw error
        } catch {
            throw syntaxError(error)
        }
        let top = try mapping(root, key: "(top level)", allowed: topKeys)
        var client: [String: String] = [:]
        if let node = top["client"] {
            let known = Set(ClientSettingKey.allCases.flatMap { [$0.variable] + $0.aliases })
            for (key, value) in try mapping(node, key: "client", allowed: nil) {
                guard known.contains(key) else {
                    throw AgentConfigError(line: line(value), key: "client.\(key)", "not a client setting")
                }
                client[key] = try scalar(value, key: "client.\(key)")
            }
        }
        var refreshBuffer = Int(ClientCachePolicy.defaultRefreshBuffer)
        if let node = top["refresh_buffer"] {
            guard let n = Int(try scalar(node, key: "refresh_buffer")), n >= 60 else {
                throw AgentConfigError(
                    line: line(node),
                    key: "refresh_buffer",
                    "must be a number of seconds, at least 60"
                )
            }
            refreshBuffer = n
        }
        guard let socketsNode = top["sockets"], case .sequence(let list) = socketsNode, !list.isEmpty else {
            throw AgentConfigError(
                line: top["sockets"].map(line) ?? 1,
                key: "sockets",
                "a list of at least one socket is required"
            )
        }
        var sockets: [AgentSocketConfiguration] = []
        for (index, node) in list.enumerated() {
            let socket = try parseSocket(node, key: "sockets[\(index)]")
            if sockets.contains(where: { $0.path == socket.path }) {
                throw AgentConfigError(line: socket.line, key: "sockets[\(index)].path", "the path is used twice")
            }
            sockets.append(socket)
        }
        return AgentConfiguration(client: client, refreshBuffer: refreshBuffer, sockets: sockets)
    }

    private static func parseSocket(_ node: Node, key: String) throws(AgentConfigError) -> AgentSocketConfiguration {
        let fields = try mapping(node, key: key, allowed: socketKeys)
        func required(_ name: String) throws(AgentConfigError) -> Node {
            guard let value = fields[name] else {
                throw AgentConfigError(line: line(node), key: "\(key).\(name)", "required")
            }
            return value
        }
        let pathNode = try required("path")
        let path = try scalar(pathNode, key: "\(key).path")
        guard path.hasPrefix("/") else {
            throw AgentConfigError(line: line(pathNode), key: "\(key).path", "must be an absolute path")
        }
        var mode: UInt32 = 0o600
        if let modeNode = fields["mode"] {
            let text = try scalar(modeNode, key: "\(key).mode")
            let digits = text.hasPrefix("0o") ? String(text.dropFirst(2)) : text
            guard let value = UInt32(digits, radix: 8), value <= 0o777, value & 0o600 == 0o600 else {
                throw AgentConfigError(
                    line: line(modeNode),
                    key: "\(key).mode",
                    "must be octal permission bits with read and write for the owner, e.g. \"0660\""
                )
            }
            mode = value
        }
        let group = try fields["group"].map { (g: Node) throws(AgentConfigError) -> String in
            try scalar(g, key: "\(key).group")
        }
        let rolesNode = try required("roles")
        guard case .sequence(let roleList) = rolesNode, !roleList.isEmpty else {
            throw AgentConfigError(line: line(rolesNode), key: "\(key).roles", "must be a list of role names")
        }
        var roles: [String] = []
        for roleNode in roleList {
            let role = try scalar(roleNode, key: "\(key).roles")
            guard !role.isEmpty, !roles.contains(role) else {
                throw AgentConfigError(line: line(roleNode), key: "\(key).roles", "a role is empty or listed twice")
            }
            roles.append(role)
        }
        var defaultRole = roles.count == 1 ? roles[0] : ""
        if let defaultNode = fields["default_role"] {
            defaultRole = try scalar(defaultNode, key: "\(key).default_role")
            guard roles.contains(defaultRole) else {
                throw AgentConfigError(line: line(defaultNode), key: "\(key).default_role", "must be one of roles")
            }
        } else if roles.count > 1 {
            throw AgentConfigError(line: line(node), key: "\(key).default_role", "required when roles lists several")
        }
        return AgentSocketConfiguration(
            path: path,
            mode: mode,
            group: group,
            policy: AgentSocketPolicy(roles: roles, defaultRole: defaultRole),
            line: line(node)
        )
    }

    // MARK: - Nodes

    private static func line(_ node: Node) -> Int { node.mark?.line ?? 1 }

    /// A mapping's entries by key; with `allowed`, any other key is refused at its line.
    private static func mapping(
        _ node: Node,
        key: String,
        allowed: [String]?
    ) throws(AgentConfigError) -> [String: Node] {
        guard case .mapping(let m) = node else {
            throw AgentConfigError(line: line(node), key: key, "must be a mapping of keys to values")
        }
        var result: [String: Node] = [:]
        for (k, v) in m {
            let name = k.string ?? ""
            if let allowed, !allowed.contains(name) {
                let prefix = key.hasPrefix("(") ? "" : "\(key)."
                throw AgentConfigError(
                    line: line(k),
                    key: prefix + name,
                    "unknown key (known: \(allowed.joined(separator: ", ")))"
                )
            }
            result[name] = v
        }
        return result
    }

    private static func scalar(_ node: Node, key: String) throws(AgentConfigError) -> String {
        guard case .scalar(let s) = node else {
            throw AgentConfigError(line: line(node), key: key, "must be a single value")
        }
        return s.string
    }

    /// The YAML parser's problem and line, without the excerpt of the file it would quote.
    private static func syntaxError(_ error: any Error) -> AgentConfigError {
        switch error as? YamlError {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return AgentConfigError(line: mark.line, key: "(syntax)", problem)
        case .duplicatedKeysInMapping(let keys, let context):
            return AgentConfigError(
                line: context.mark.line,
                key: keys.joined(separator: ", "),
                "the key is given twice"
            )
        default:
            return AgentConfigError(line: 1, key: "(syntax)", "not readable as YAML")
        }
    }
}
