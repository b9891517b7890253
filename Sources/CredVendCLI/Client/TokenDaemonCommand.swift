import ArgumentParser
import CredVend
import CredVendCore
import Foundation
import Logging

struct TokenDaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token-daemon",
        abstract: "Keep an OIDC token file fresh for AWS_WEB_IDENTITY_TOKEN_FILE (Auth0).",
        discussion: """
            Writes the Auth0 access token (nothing else, no newline) to --token-file, atomically (temporary file, fsync, \
            rename) with mode 0600, and rewrites it 15 minutes before the token expires. A failed refresh leaves the old \
            file and is retried with backoff. SDKs and log shippers then assume AWS_ROLE_ARN with \
            AWS_WEB_IDENTITY_TOKEN_FILE themselves. Auth0 only: Cognito access tokens carry no `aud`, so STS cannot take \
            them (use get-credentials or credential-daemon). SIGTERM or SIGINT: exit 0.
            """
    )

    @OptionGroup var client: ClientOptions
    @Option(help: ArgumentHelp("The token file (its directory is created, mode 0700, if missing).", valueName: "file"))
    var tokenFile: String
    @OptionGroup var refresh: DaemonOptions

    func run() async throws {
        let command = "token-daemon"
        let schedule = refresh.schedule(client.policy, command: command)
        let logger = Logger(label: "credvend.token-daemon")
        guard client.sources(command: command).lookup(.idpType)?.value.lowercased() != IdPType.cognito.rawValue else {
            CLILogging.fail(
                "credvend \(command): IDP_TYPE=cognito is not supported: Cognito access tokens have no aud "
                    + "claim, so STS AssumeRoleWithWebIdentity refuses them; use get-credentials or credential-daemon"
            )
        }
        let settings = client.settings(command: command, forToken: true)
        let source = client.source(settings: settings, logger: logger, command: command)
        let url = URL(fileURLWithPath: tokenFile)
        let path = url.path
        do {
            try DaemonFiles.prepare(directory: url.deletingLastPathComponent().path, names: [url.lastPathComponent])
        } catch {
            CLILogging.fail("credvend \(command): \(error.message)", code: 1)
        }
        let daemon = FileRefreshDaemon(what: "token", schedule: schedule, logger: logger) { force throws(ClientError) in
            let token = try source.token(forceRefresh: force)
            return RefreshedFiles(
                obtainedAt: token.obtainedAt,
                expiration: token.expiresAt,
                files: [(path, Array(token.accessToken.utf8))],
                metadata: [
                    "file": "\(path)", "token_sha256": "\(token.fingerprint)",
                    "expires": "\(token.expiresAt.map(ISO8601.string) ?? "unknown")",
                ]
            )
        }
        if refresh.once {
            do {
                let item = try daemon.refreshOnce()
                logger.info("token written", metadata: item.metadata)
            } catch {
                CLILogging.fail("credvend \(command): \(error.message)", code: 1)
            }
            return
        }
        logger.info("token-daemon started", metadata: ["file": "\(path)", "client_id": "\(settings.clientId)"])
        try await daemon.run(threadName: "credvend-token-daemon")
    }
}
