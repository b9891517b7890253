public import CredVendCore
public import CredVendCrypto
import Foundation

/// The HMAC key behind `AuditTokenID`s (how the audit log names a token without holding it): random per process start, or read from
/// `--audit-hmac-key-file` so identities stay comparable across restarts.
public struct AuditTokenIdentifier: Sendable {
    public static let minimumKeyBytes = 32
    private let key: [UInt8]

    /// Makes one MAC with `key` now, so that a key OpenSSL refuses is refused here, at
    /// start-up, and `identify` cannot fail later.
    public init(key: [UInt8]) throws(OpenSSLError) {
        _ = try HMACSHA256.mac(key: key, message: [])
        self.key = key
    }

    /// A fresh random 32-byte key.
    public static func random() throws(OpenSSLError) -> AuditTokenIdentifier {
        try AuditTokenIdentifier(key: try SecureRandom.bytes(minimumKeyBytes))
    }

    /// The key is the file's bytes without a trailing newline, at least 32 of them
    /// (`openssl rand -hex 32` makes a good one). The file must be private like the
    /// admin token file.
    public static func load(path: String) throws(ConfigurationError) -> AuditTokenIdentifier {
        do {
            try AdminTokenFile.checkPrivate(path: path)
        } catch {
            throw ConfigurationError("--audit-hmac-key-file \(path): \(error.message)")
        }
        guard var bytes = FileManager.default.contents(atPath: path).map(Array.init) else {
            throw ConfigurationError("--audit-hmac-key-file \(path) cannot be read")
        }
        while let last = bytes.last, last == 0x0A || last == 0x0D { bytes.removeLast() }
        guard bytes.count >= minimumKeyBytes else {
            throw ConfigurationError(
                "--audit-hmac-key-file \(path) holds \(bytes.count) bytes; at least \(minimumKeyBytes) are needed "
                    + "(e.g. openssl rand -hex 32 > \(path))"
            )
        }
        do {
            return try AuditTokenIdentifier(key: bytes)
        } catch {
            throw ConfigurationError("--audit-hmac-key-file \(path): the key cannot be used: \(error)")
        }
    }

    /// `HMAC-SHA256(key, "jti:" + jti)` when a verified jti is given, else
    /// `HMAC-SHA256(key, "token:" + token)`.
    /// A failure here, with a key that `init` already used, can only mean OpenSSL broke:
    /// it stops the process rather than audit a record under a made-up identity.
    public func identify(token: String, verifiedJTI jti: String?) -> AuditTokenID {
        let input: (message: String, source: AuditTokenID.Source) =
            if let jti, !jti.isEmpty { ("jti:" + jti, .jti) } else { ("token:" + token, .token) }
        do {
            return AuditTokenID(
                hex: Hex.encode(try HMACSHA256.mac(key: key, message: input.message)),
                source: input.source
            )
        } catch {
            fatalError("audit token HMAC failed with a key OpenSSL accepted at start-up: \(error)")
        }
    }
}
