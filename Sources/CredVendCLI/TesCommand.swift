import ArgumentParser
import CredVend
import CredVendCore
import Foundation
import Logging

/// `credvend tes`: the device's Token Exchange Service worker (docs/reference.md#credvend-tes).
struct TesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tes",
        abstract: "Turn the device's AWS IoT certificate into AWS credentials and serve them locally.",
        discussion: """
            Calls GET https://<endpoint>/role-aliases/<role-alias>/credentials over mutual TLS (client certificate and \
            key, server verified against --rootca) with the header x-amzn-iot-thingname, refreshes the credentials \
            --refresh-buffer seconds before they expire (with jitter; failures retried with jittered backoff), keeps \
            serving the last good credentials until they expire and never serves expired ones.

            Serves GET /2016-11-01/credentialprovider/ on --listen to callers whose Authorization header is the token \
            in --authz-token-file (generated, mode 0600, when the file does not exist), in the container-credentials \
            shape {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}; 503 while no valid credentials exist; \
            errors as {"code", "message"}. Point AWS SDKs and `credvend serve` at it with \
            AWS_CONTAINER_CREDENTIALS_FULL_URI set to

              http://127.0.0.1:12911/2016-11-01/credentialprovider/

            and the token itself in AWS_CONTAINER_AUTHORIZATION_TOKEN (every SDK), or the file's path in \
            AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (newer SDKs only; docs/tes.md lists which). GET /healthz answers \
            200 while valid credentials are served, else 503. SIGTERM or SIGINT: exit 0.
            """
    )

    @Option(
        name: [.customLong("endpoint"), .customShort("e")],
        help:
            "AWS IoT credential provider endpoint: host (aws iot describe-endpoint --endpoint-type iot:CredentialProvider) or https:// URL."
    )
    var endpoint: String
    @Option(
        name: [.customLong("rootca"), .customShort("r")],
        help: "PEM root CA file that signs the endpoint's certificate (Amazon Root CA 1)."
    )
    var rootca: String
    @Option(
        name: [.customLong("cert"), .customShort("c")],
        help: "PEM device certificate file registered with AWS IoT."
    )
    var cert: String
    @Option(name: [.customLong("key"), .customShort("k")], help: "PEM private key file of --cert (unencrypted).")
    var key: String
    @Option(help: "AWS IoT role alias to assume.")
    var roleAlias: String
    @Option(help: "AWS IoT thing name the certificate is attached to (sent as x-amzn-iot-thingname).")
    var thingName: String
    /// Not 2375 (Docker's) nor another common service's port.
    @Option(help: "HOST:PORT for the local credentials endpoint; port 0 picks a free one.")
    var listen = "127.0.0.1:12911"
    @Option(help: "File holding the token callers must send as Authorization (created, mode 0600, if missing).")
    var authzTokenFile = "./credvend-tes-token"
    @Option(help: "Refresh credentials this many seconds before they expire.")
    var refreshBuffer = 900

    /// Every flag and file is checked here, during parsing, so that a problem prints this
    /// command's usage and exits 2 before any network call.
    func validate() throws {
        do {
            try configuration().validate()
        } catch let error as ConfigurationError {
            throw ValidationError(error.message)
        }
    }

    func run() async throws {
        do {
            try await TESRuntime(configuration: try configuration(), logger: Logger(label: "credvend.tes")).run()
        } catch {
            CLILogging.fail("credvend tes: \(error)")
        }
    }

    private func configuration() throws -> TESConfiguration {
        guard let (host, port) = HostPort.parse(listen) else {
            throw ValidationError("--listen \"\(listen)\" must be HOST:PORT, e.g. 127.0.0.1:12911")
        }
        var config = TESConfiguration(
            endpoint: endpoint,
            rootCAFile: rootca,
            certificateFile: cert,
            keyFile: key,
            roleAlias: roleAlias,
            thingName: thingName,
            authzTokenFile: authzTokenFile
        )
        config.listenHost = host
        config.listenPort = port
        config.refreshBuffer = TimeInterval(refreshBuffer)
        return config
    }
}
