import ArgumentParser
import CredVend
import CredVendCore
import Foundation
import Logging

struct DevIdpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-idp",
        abstract: "A local Cognito-style issuer for demos and tests (development only).",
        subcommands: [DevIdpRun.self, DevIdpMint.self],
        defaultSubcommand: DevIdpRun.self
    )
}

struct DevIdpRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Serve the issuer (the default: `credvend dev-idp --clients F` runs this).",
        discussion: """
            Serves GET /.well-known/jwks.json and POST /oauth2/token (grant_type=client_credentials, HTTP Basic client
            authentication, optional scope), answering Cognito-shaped access tokens signed with an RSA-2048 key
            (iss = this server's base URL). The clients file is a JSON array of
            {"client_id": "...", "client_secret": "...", "scopes": ["credvend/write"]}.
            With --key, the signing key is loaded from that PEM file, or generated and written there (mode 0600) if
            the file does not exist; without it a fresh key is generated for this run.
            """
    )

    @Option(help: "HOST:PORT to listen on; port 0 picks a free one.")
    var listen = "127.0.0.1:9000"
    @Option(help: "JSON file listing the app clients.")
    var clients: String
    @Option(help: "PEM private key file (loaded, or created if missing).")
    var key: String?
    @Option(help: "Lifetime of issued tokens in seconds.")
    var tokenTtl = 3600
    @Flag(help: "Allow listening on a non-loopback address.")
    var allowRemote = false

    func run() async throws {
        guard let (host, port) = HostPort.parse(listen) else {
            throw ValidationError("--listen \"\(listen)\" must be HOST:PORT")
        }
        guard allowRemote || URLCheck.isLoopback(host) else {
            throw ValidationError("dev-idp refuses to listen on non-loopback \(host) without --allow-remote")
        }
        let logger = Logger(label: "credvend.dev-idp")
        do {
            let minter = try TokenMinter.loadOrCreate(keyPath: key)
            let idp = DevIdentityProvider(
                minter: minter,
                clients: try DevIdentityProvider.loadClients(path: clients),
                tokenTTL: tokenTtl
            )
            try await DevIdPRuntime(host: host, port: Int(port), provider: idp, logger: logger).run()
        } catch let e as ValidationError {
            throw e
        } catch {
            CLILogging.fail("credvend dev-idp: \(error)")
        }
    }
}

struct DevIdpMint: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mint",
        abstract: "Print one signed access token (for scripts and load tests)."
    )

    @Option(help: "PEM private key file, as given to dev-idp --key.")
    var key: String
    @Option(help: "The token's client_id (and sub).")
    var clientId: String
    @Option(help: "The token's iss: the dev-idp base URL the server trusts.")
    var issuer: String
    @Option(help: "Lifetime in seconds.")
    var ttl = 3600
    @Option(help: "Space-separated scopes.")
    var scope = "credvend/write"

    func run() async throws {
        do {
            guard FileManager.default.fileExists(atPath: key) else {
                throw ValidationError("--key \(key) does not exist")
            }
            let minter = try TokenMinter.loadOrCreate(keyPath: key)
            let token = try minter.mint(
                claims: JWTSigner.accessTokenClaims(
                    issuer: issuer,
                    clientId: clientId,
                    scopes: scope.split(separator: " ").map(String.init),
                    issuedAt: Date(),
                    ttl: TimeInterval(ttl)
                )
            )
            print(token)
        } catch let e as ValidationError {
            throw e
        } catch {
            CLILogging.fail("credvend dev-idp mint: \(error)")
        }
    }
}
