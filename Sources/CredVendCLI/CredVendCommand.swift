import ArgumentParser
import CredVendCore
import CredVendSystem
import Foundation

@main
struct CredVendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credvend",
        abstract: "Self-hosted AWS credential vending: IdP access tokens in, short-lived AWS credentials out.",
        version: CredVendVersion.string,
        subcommands: [
            ServeCommand.self,
            RolesCommand.self,
            DevIdpCommand.self,
            TesCommand.self,
            GetCredentialsCommand.self,
            CredentialDaemonCommand.self,
            TokenDaemonCommand.self,
            AgentCommand.self,
            GenerateCommand.self,
        ]
    )

    static func main() async {
        CLILogging.bootstrap()
        IgnoredSignals.ignore()
        do {
            var command = try parseAsRoot()
            if var async = command as? any AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
        } catch {
            // Usage errors exit 2 like every other invalid input (argument-parser's default is 64).
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
