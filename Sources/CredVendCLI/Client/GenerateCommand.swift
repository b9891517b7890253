import ArgumentParser
import CredVend
import CredVendCore
import CredVendSystem
import Foundation

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write one set of AWS credentials from a credvend agent socket.",
        discussion: """
            Asks the agent at --socket (no IdP secret needed) and writes into --out DIR, atomically (temporary file, \
            fsync, rename) with mode 0600: with no --format the three files of credential-daemon (aws-credentials.json, \
            credentials, aws-credentials.env), else the one file of that format (container-credentials.json for json). \
            --out - prints one format (default process) to standard output.
            """
    )

    @Option(help: ArgumentHelp("The agent's Unix socket.", valueName: "path"))
    var socket: String
    @Option(help: "The role to ask for (default: the socket's default role).")
    var role: String?
    @Option(help: "Session length: seconds or with a unit (900s, 15m, 2h); at least 900 s, STS's minimum.")
    var ttl: String?
    @Option(help: ArgumentHelp("Directory to write into, or - for standard output.", valueName: "dir"))
    var out: String
    @Option(help: "process (credential_process JSON), env, json (container-credentials shape) or ini.")
    var format: String?

    func run() throws {
        var formats = GenerateFormat.allCases.filter { $0 != .json }
        if let format {
            guard let chosen = GenerateFormat(rawValue: format) else {
                CLILogging.fail("credvend generate: --format \(format) is not one of process, env, json, ini")
            }
            formats = [chosen]
        } else if out == "-" {
            formats = [.process]
        }
        var duration: Int?
        if let ttl {
            switch CredentialTTL.parse(ttl) {
            case .success(let seconds): duration = seconds
            case .failure(let error): CLILogging.fail("credvend generate: \(error.message)")
            }
        }
        let dir = out.hasSuffix("/") && out.count > 1 ? String(out.dropLast()) : out
        if dir != "-" {
            do {
                try DaemonFiles.prepare(directory: dir, names: formats.map(\.fileName))
            } catch {
                CLILogging.fail("credvend generate: \(error.message)", code: 1)
            }
        }
        let credentials: AWSCredentials
        do {
            credentials = try AgentSocketClient.credentials(socket: socket, role: role, durationSeconds: duration)
        } catch {
            CLILogging.fail("credvend generate: \(error.message)", code: 1)
        }
        if dir == "-" {
            FileHandle.standardOutput.write(Data(formats[0].render(credentials)))
            return
        }
        for format in formats {
            do {
                try SecretFile.write(format.render(credentials), to: dir + "/" + format.fileName)
            } catch {
                CLILogging.fail("credvend generate: \(error)", code: 1)
            }
        }
    }
}
