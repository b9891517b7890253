public import CredVendCore
import CredVendHTTP
import CredVendSync
import CredVendSystem
import Foundation
public import Logging

/// Runs `credvend agent`: one identity (the client settings), one credential cache, and
/// a Unix socket per configured entry, each created with its mode and group before it
/// appears at its path; until SIGTERM or SIGINT, after which every socket file is gone.
public struct AgentRuntime: Sendable {
    public let configuration: AgentConfiguration
    public let settings: ClientSettings
    public let logger: Logger

    public init(configuration: AgentConfiguration, settings: ClientSettings, logger: Logger) {
        self.configuration = configuration
        self.settings = settings
        self.logger = logger
    }

    /// Refuses what the settings cannot serve and groups that do not exist, naming the line.
    public func check() throws(AgentConfigError) -> [UInt32?] {
        var groups: [UInt32?] = []
        for (index, socket) in configuration.sockets.enumerated() {
            if settings.idpType == .auth0,
                let named = socket.policy.roles.first(where: { $0 != VendingSelection.defaultRoleName })
            {
                throw AgentConfigError(
                    line: socket.line,
                    key: "sockets[\(index)].roles",
                    "role \(named): named roles need IDP_TYPE=cognito (the credential API); with Auth0 only default"
                )
            }
            guard let name = socket.group else {
                groups.append(nil)
                continue
            }
            guard let gid = UnixGroup.id(named: name) else {
                throw AgentConfigError(
                    line: socket.line,
                    key: "sockets[\(index)].group",
                    "no group \(name) on this host"
                )
            }
            groups.append(gid)
        }
        return groups
    }

    public func run() async throws {
        let groups = try check()
        let policy = ClientCachePolicy(refreshBuffer: TimeInterval(configuration.refreshBuffer))
        let sources = Locked<[VendingSelection: ClientCredentialSource]>([:])
        let settings = settings
        let logger = logger
        let cache = AgentCredentialCache(policy: policy) { selection throws(ClientError) in
            let existing = sources.withLock { $0[selection] }
            let source: ClientCredentialSource
            if let existing {
                source = existing
            } else {
                source = try ClientCredentialSource.live(
                    settings: settings,
                    policy: policy,
                    selection: selection,
                    cache: nil,
                    logger: logger
                )
                sources.withLock { $0[selection] = source }
            }
            // The agent's own cache decides freshness; the source always asks.
            return try source.credentials(forceRefresh: true)
        }
        let stopSignals = await StopSignals.trap()
        var servers: [HTTPServer] = []
        for (socket, group) in zip(configuration.sockets, groups) {
            var http = HTTPServerConfiguration(listen: .unix(path: socket.path), threadPoolSize: 1)
            http.unixSocketMode = socket.mode
            http.unixSocketGroup = group
            let server = HTTPServer(
                configuration: http,
                handler: AgentHandler(socketPath: socket.path, policy: socket.policy, cache: cache, logger: logger)
            )
            do {
                try server.start()
            } catch {
                for started in servers { await started.stop(gracePeriod: .zero) }
                throw error
            }
            servers.append(server)
            logger.info(
                "socket ready",
                metadata: [
                    "socket": "\(socket.path)", "mode": "\(String(socket.mode, radix: 8))",
                    "group": "\(socket.group ?? "(own)")", "roles": "\(socket.policy.roles.joined(separator: ","))",
                    "default_role": "\(socket.policy.defaultRole)",
                ]
            )
        }
        StandardError.write(
            Array("listening on \(configuration.sockets.map(\.path).joined(separator: " "))\n".utf8)
        )
        _ = try await runUntilStopSignal(
            [ListenerService(servers, gracePeriod: .seconds(2))],
            stopSignals: stopSignals,
            logger: logger
        )
    }
}
