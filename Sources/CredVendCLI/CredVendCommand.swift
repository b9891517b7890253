import ArgumentParser
import CredVend

@main
struct CredVendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credvend",
        abstract: "Self-hosted AWS credential vending: IdP access tokens in, short-lived AWS credentials out.",
        version: CredVendVersion.string,
        subcommands: [RolesCommand.self])
}
