import ArgumentParser
import CredVend
import CredVendCore
import Foundation
import Logging

struct GetCredentialsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get-credentials",
        abstract: "Print AWS credentials as credential_process JSON (for the AWS CLI and SDKs).",
        discussion: """
            Cognito (IDP_TYPE=cognito): a client_credentials token from <COGNITO_DOMAIN>/oauth2/token (HTTP Basic, scope \
            <COGNITO_RESOURCE_SERVER>/<COGNITO_SCOPE>), exchanged at COGNITO_CREDENTIAL_API_URL. Auth0 (IDP_TYPE=auth0, \
            the default): a client_credentials token from <AUTH0_DOMAIN>/oauth/token for AUTH0_AUDIENCE, exchanged by STS \
            AssumeRoleWithWebIdentity for AWS_ROLE_ARN.

            Standard output carries the JSON and nothing else; errors go to standard error with exit status 1 (2 for \
            missing or wrong settings). Tokens and credentials are cached (mode 0600) and reused until 15 minutes before \
            they expire (see docs/client.md for short sessions). Use it in ~/.aws/config:

              [profile credvend]
              credential_process = credvend get-credentials --config /etc/credvend.env
            """
    )

    @OptionGroup var client: ClientOptions
    @Option(
        help: ArgumentHelp(
            "Ask a credvend agent on this Unix socket instead (no IdP settings needed; see docs/agent.md).",
            valueName: "path"
        )
    )
    var socket: String?
    @Option(help: "With --socket: the role to ask for (default: the socket's default role).")
    var role: String?
    @Flag(name: .shortAndLong, help: "Log each step to standard error.")
    var verbose = false

    func run() throws {
        if let socket {
            do {
                let c = try AgentSocketClient.credentials(socket: socket, role: role, durationSeconds: nil)
                FileHandle.standardOutput.write(Data(CredentialProcessOutput.render(c) + [0x0A]))
                return
            } catch {
                CLILogging.fail("credvend get-credentials: \(error.message)", code: 1)
            }
        }
        guard role == nil else { CLILogging.fail("credvend get-credentials: --role needs --socket") }
        var logger = Logger(label: "credvend.get-credentials")
        logger.logLevel = verbose ? .debug : .error
        let settings = client.settings(command: "get-credentials")
        let source = client.source(settings: settings, logger: logger, command: "get-credentials")
        do {
            let record = try source.credentials(fallbackToStale: true)
            FileHandle.standardOutput.write(Data(CredentialProcessOutput.render(record.credentials) + [0x0A]))
        } catch {
            CLILogging.fail("credvend get-credentials: \(error.message)", code: 1)
        }
    }
}
