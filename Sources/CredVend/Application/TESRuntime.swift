import CredVendCore
import CredVendHTTP
import CredVendSystem
import Foundation
public import Logging
import ServiceLifecycle
import UnixSignals

/// Builds and runs `credvend tes`: loads (or creates) the authz token, serves the local
/// endpoint, and keeps credentials fresh on a background thread; stops on SIGTERM/SIGINT.
public final class TESRuntime: Sendable {
    public let configuration: TESConfiguration
    let logger: Logger

    public init(configuration: TESConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs until SIGTERM or SIGINT. The configuration must have passed `validate()` (the
    /// command does that while parsing flags). Throws when the authz token file is unusable
    /// and when the listener cannot start, both before any network call.
    public func run() async throws {
        let config = configuration
        let (token, origin) = try TESAuthToken.loadOrCreate(path: config.authzTokenFile)
        switch origin {
        case .created:
            logger.info(
                "generated a new authz token (mode 0600); give clients its content as AWS_CONTAINER_AUTHORIZATION_TOKEN, or this path as AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE where their SDK reads it (Go SDK v1 1.44 and v2 1.17 do not; docs/tes.md)",
                metadata: ["path": "\(config.authzTokenFile)"]
            )
        case .loadedTrimmed:
            logger.warning(
                "the authz token file has whitespace or a newline around the token: accepted here, but botocore refuses such a file as AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE; write the token without a newline (printf '%s' TOKEN > FILE)",
                metadata: ["path": "\(config.authzTokenFile)"]
            )
        case .loaded:
            break
        }
        if config.refreshBuffer < 900 {
            logger.warning(
                "--refresh-buffer \(Int(config.refreshBuffer)) s is under 900 s: botocore calls again on every use once credentials have under 15 minutes left"
            )
        }
        if !URLCheck.isLoopback(config.listenHost) {
            logger.warning(
                "listening on non-loopback \(config.listenHost): credentials cross the network in plain HTTP, and AWS SDKs accept http:// container endpoints only on loopback"
            )
        }

        let provider = IoTCredentialClient(configuration: config, client: CurlHTTPClient(maxIdleHandles: 1))
        let worker = TESWorker(
            policy: TESRefreshPolicy(refreshBuffer: config.refreshBuffer),
            logger: logger,
            fetch: { provider.fetch() }
        )
        let handler = TESHandler(token: token, serving: { worker.serving() })
        let accessLog = logger
        let server = HTTPServer(
            configuration: HTTPServerConfiguration(
                listen: .tcp(host: config.listenHost, port: Int(config.listenPort)),
                threadPoolSize: 1,
                connectionLimit: 64
            ),
            handler: HTTPClosureHandler { request in
                let result = handler.handle(request)
                if case .respond(let response) = result {
                    accessLog.info(
                        "\(request.method) \(request.path) \(response.status)",
                        metadata: ["remote": "\(request.remoteAddress)"]
                    )
                }
                return result
            }
        )
        try server.start()
        let stopSignals = await StopSignals.trap()
        StandardError.write(Array("listening on \(config.listenHost):\(server.boundPort ?? 0)\n".utf8))
        logger.info(
            "credvend tes started",
            metadata: [
                "version": "\(CredVendVersion.string)", "endpoint": "\(provider.url)",
                "thing_name": "\(config.thingName)",
                "authz_token_file": "\(config.authzTokenFile)", "refresh_buffer": "\(Int(config.refreshBuffer))s",
            ]
        )
        let signal = try await runUntilStopSignal(
            [worker.service, ListenerService([server], gracePeriod: .seconds(2))],
            stopSignals: stopSignals,
            logger: logger
        )
        logger.info("stopped", metadata: signal.map { ["signal": "\($0)"] } ?? [:])
    }
}
