import ArgumentParser
import CredVend
import CredVendCore
import Foundation
import Logging

struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract:
            "Hold this machine's identity and hand out AWS credentials on Unix sockets, each limited to its roles.",
        discussion: """
            --config is a YAML file (docs/agent.md): `client` (the settings of get-credentials, by their variable \
            names; the environment wins over them), `refresh_buffer` (seconds) and `sockets`, each with path, mode, \
            group, roles and default_role. The role `default` is the client mapping's own role. On each socket: \
            GET /v1/credentials[?role=&duration=&s3_path_prefix=] (credential_process JSON) and \
            GET /v1/container-credentials[?role=]. A role the socket does not list is refused (403) without asking \
            the server. Each request is logged to standard error with the caller's uid, gid and pid. SIGTERM or \
            SIGINT: the sockets are removed and the agent exits 0.
            """
    )

    @Option(help: ArgumentHelp("The agent's YAML configuration.", valueName: "file"))
    var config: String
    @Flag(name: .shortAndLong, help: "Log each step (token and credential fetches) too.")
    var verbose = false

    func run() async throws {
        var logger = Logger(label: "credvend.agent")
        logger.logLevel = verbose ? .debug : .info
        guard let data = FileManager.default.contents(atPath: config) else {
            CLILogging.fail("credvend agent: --config \(config) cannot be read")
        }
        let configuration: AgentConfiguration
        do {
            configuration = try AgentConfiguration.parse(String(decoding: data, as: UTF8.self))
        } catch {
            CLILogging.fail("credvend agent: \(config): \(error)")
        }
        let settings: ClientSettings
        do {
            settings = try ClientConfigResolver.resolve(
                ClientConfigSources(
                    environment: ProcessInfo.processInfo.environment,
                    file: configuration.client,
                    fileName: config
                )
            )
        } catch {
            CLILogging.fail("credvend agent: \(error.message)")
        }
        do {
            try TLSClientFiles.check(settings.tls)
        } catch {
            CLILogging.fail("credvend agent: \(error.message)")
        }
        let runtime = AgentRuntime(configuration: configuration, settings: settings, logger: logger)
        do {
            _ = try runtime.check()
        } catch {
            CLILogging.fail("credvend agent: \(config): \(error)")
        }
        do {
            try await runtime.run()
        } catch let error as HTTPServerError {
            CLILogging.fail("credvend agent: \(error.message)", code: 1)
        }
    }
}
