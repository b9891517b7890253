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
            Serves GET /.well-known/jwks.json and POST /oauth2/token (grant_type=client_credentials, HTTP Basic client \
            authentication, optional scope), answering Cognito-shaped access tokens signed with an RSA-2048 key \
            (iss = this server's base URL). The clients file is a JSON array of objects like

              {"client_id": "...", "client_secret": "...", "scopes": ["credvend/write"]}

            With --key, the signing key is loaded from that PEM file, or generated and written there (mode 0600) if \
            the file does not exist; without it a fresh key is generated for this run. \
            With --tls-cert and --tls-key it serves HTTPS (iss = https://...); with --client-ca it asks for client \
            certificates (mutual TLS); with --bind-tokens each token carries cnf.x5t#S256, the thumbprint of the \
            client certificate of the connection that asked for it (RFC 8705).
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
    @Option(help: "PEM certificate (chain) to serve HTTPS with; needs --tls-key.")
    var tlsCert: String?
    @Option(help: "PEM private key of --tls-cert (not readable by group or others).")
    var tlsKey: String?
    @Option(help: "PEM CA certificates to verify client certificates against (mutual TLS; a certificate is required).")
    var clientCa: String?
    @Flag(help: "Bind each token to the client certificate presented at the token endpoint (needs --client-ca).")
    var bindTokens = false

    func validate() throws {
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        if clientCa != nil, tlsCert == nil { throw ValidationError("--client-ca needs --tls-cert and --tls-key") }
        if bindTokens, clientCa == nil {
            throw ValidationError("--bind-tokens needs --client-ca: tokens are bound to a verified client certificate")
        }
    }

    var tls: TLSServerConfiguration? {
        guard let tlsCert, let tlsKey else { return nil }
        return TLSServerConfiguration(certificateFile: tlsCert, keyFile: tlsKey, clientCAFile: clientCa)
    }

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
                tokenTTL: tokenTtl,
                bindTokens: bindTokens
            )
            try await DevIdPRuntime(host: host, port: Int(port), provider: idp, tls: tls, logger: logger).run()
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
    @Option(help: "Bind the token to the first certificate of this PEM file (cnf.x5t#S256, RFC 8705).")
    var cnfCert: String?

    func run() async throws {
        do {
            guard FileManager.default.fileExists(atPath: key) else {
                throw ValidationError("--key \(key) does not exist")
            }
            let minter = try TokenMinter.loadOrCreate(keyPath: key)
            var claims = JWTSigner.accessTokenClaims(
                issuer: issuer,
                clientId: clientId,
                scopes: scope.split(separator: " ").map(String.init),
                issuedAt: Date(),
                ttl: TimeInterval(ttl)
            )
            if let cnfCert {
                guard let pem = FileManager.default.contents(atPath: cnfCert) else {
                    throw ValidationError("--cnf-cert \(cnfCert) is not readable")
                }
                claims["cnf"] = try TokenMinter.confirmation(certificatePEM: Array(pem))
            }
            print(try minter.mint(claims: claims))
        } catch let e as ValidationError {
            throw e
        } catch {
            CLILogging.fail("credvend dev-idp mint: \(error)")
        }
    }
}
