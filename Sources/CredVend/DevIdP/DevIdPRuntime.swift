public import CredVendCore
import CredVendHTTP
import CredVendSystem
import Foundation
public import Logging
import ServiceLifecycle
import UnixSignals

/// Runs `credvend dev-idp`: the token endpoint and JWKS on one listener, until
/// SIGTERM or SIGINT; over HTTPS (and mutual TLS with a client CA) when `tls` is given.
public struct DevIdPRuntime: Sendable {
    public let host: String
    public let port: Int
    public let provider: DevIdentityProvider
    public let tls: TLSServerConfiguration?
    public let logger: Logger

    public init(
        host: String,
        port: Int,
        provider: DevIdentityProvider,
        tls: TLSServerConfiguration? = nil,
        logger: Logger
    ) {
        self.host = host
        self.port = port
        self.provider = provider
        self.tls = tls
        self.logger = logger
    }

    public func run() async throws {
        let server = HTTPServer(
            configuration: HTTPServerConfiguration(listen: .tcp(host: host, port: port), tls: tls),
            handler: provider
        )
        try server.start()
        let shownHost = host.contains(":") ? "[\(host)]" : host
        provider.setIssuer("\(tls == nil ? "http" : "https")://\(shownHost):\(server.boundPort ?? 0)")
        let stopSignals = await StopSignals.trap()
        StandardError.write(Array("listening on \(host):\(server.boundPort ?? 0)\n".utf8))
        logger.info("dev-idp started", metadata: ["issuer": "\(provider.issuer)", "kid": "\(provider.minter.kid)"])
        _ = try await runUntilStopSignal(
            [ListenerService([server], gracePeriod: .seconds(2))],
            stopSignals: stopSignals,
            logger: logger
        )
    }
}
