public import CredVendCore
import CredVendCrypto
import CredVendSystem
public import Foundation

/// Everything `credvend tes` needs, checked once at start-up, before any network call,
/// so that a bad flag is a message naming it (docs/reference.md#credvend-tes).
public struct TESConfiguration: Sendable {
    /// `--endpoint`: the IoT credential endpoint, a host (`xxxx.credentials.iot.<region>.amazonaws.com`,
    /// optionally `:port`) or an `https://` URL.
    public var endpoint: String
    public var rootCAFile: String
    public var certificateFile: String
    public var keyFile: String
    public var roleAlias: String
    public var thingName: String
    public var listenHost = "127.0.0.1"
    public var listenPort: UInt16 = 12911
    public var authzTokenFile: String
    public var refreshBuffer: TimeInterval = 900

    public init(
        endpoint: String,
        rootCAFile: String,
        certificateFile: String,
        keyFile: String,
        roleAlias: String,
        thingName: String,
        authzTokenFile: String
    ) {
        self.endpoint = endpoint
        self.rootCAFile = rootCAFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.roleAlias = roleAlias
        self.thingName = thingName
        self.authzTokenFile = authzTokenFile
    }

    /// `https://host[:port]`, without a trailing slash.
    public var endpointURL: String {
        var text = endpoint
        if text.lowercased().hasPrefix("https://") { text = String(text.dropFirst("https://".count)) }
        while text.hasSuffix("/") { text.removeLast() }
        return "https://" + text
    }

    /// Names the flag and the problem. Reads the PEM files (never the network).
    public func validate() throws(ConfigurationError) {
        try Self.checkEndpoint(endpoint)
        guard roleAlias.range(of: #"^[\w=,@-]{1,128}$"#, options: .regularExpression) != nil else {
            throw ConfigurationError(
                "--role-alias \"\(roleAlias)\" is not a role alias name (1-128 characters of letters, digits, _ = , @ -)"
            )
        }
        guard thingName.range(of: #"^[a-zA-Z0-9:_-]{1,128}$"#, options: .regularExpression) != nil else {
            throw ConfigurationError(
                "--thing-name \"\(thingName)\" is not a thing name (1-128 characters of letters, digits, : _ -)"
            )
        }
        guard refreshBuffer >= 1 else { throw ConfigurationError("--refresh-buffer must be at least 1 second") }
        let rootCA = try Self.readPEM(rootCAFile, flag: "--rootca")
        do {
            _ = try X509PEM.certificateCount(rootCA)
        } catch {
            throw ConfigurationError("--rootca \(rootCAFile) is not a PEM CA certificate: \(error.detail)")
        }
        let certificate = try Self.readPEM(certificateFile, flag: "--cert")
        do {
            _ = try X509PEM.certificateCount(certificate)
        } catch {
            throw ConfigurationError("--cert \(certificateFile) is not a PEM certificate: \(error.detail)")
        }
        let key = try Self.readPEM(keyFile, flag: "--key")
        let matches: Bool
        do {
            matches = try X509PEM.keyMatchesCertificate(certificatePEM: certificate, keyPEM: key)
        } catch {
            throw ConfigurationError("--key \(keyFile) is not an unencrypted PEM private key: \(error.detail)")
        }
        guard matches else {
            throw ConfigurationError(
                "--key \(keyFile) does not match the certificate in --cert \(certificateFile): give the private key that belongs to this certificate"
            )
        }
    }

    static func checkEndpoint(_ text: String) throws(ConfigurationError) {
        let lower = text.lowercased()
        guard !lower.hasPrefix("http://") else {
            throw ConfigurationError(
                "--endpoint \(text): the credential provider is only reachable over https; give the host name or an https:// URL"
            )
        }
        var rest = lower.hasPrefix("https://") ? String(text.dropFirst("https://".count)) : text
        while rest.hasSuffix("/") { rest.removeLast() }
        guard rest.range(of: #"^[A-Za-z0-9.-]+(:[0-9]{1,5})?$"#, options: .regularExpression) != nil else {
            throw ConfigurationError(
                "--endpoint \"\(text)\" must be a host name (the iot:CredentialProvider endpoint, e.g. xxxx.credentials.iot.us-east-1.amazonaws.com) or an https:// URL of one"
            )
        }
    }

    /// The file's bytes, or a message naming the flag: missing, not a file, unreadable, empty.
    static func readPEM(_ path: String, flag: String) throws(ConfigurationError) -> [UInt8] {
        guard let kind = FileKind(path: path) else { throw ConfigurationError("\(flag) \(path) does not exist") }
        guard kind != .directory else { throw ConfigurationError("\(flag) \(path) is a directory, not a PEM file") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError("\(flag) \(path) is not readable (check its permissions)")
        }
        guard !data.isEmpty else { throw ConfigurationError("\(flag) \(path) is empty") }
        return Array(data)
    }
}
