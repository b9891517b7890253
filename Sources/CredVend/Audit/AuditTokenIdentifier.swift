import Foundation
public import CredVendCore
public import CredVendCrypto

/// The HMAC key behind `AuditTokenID`s (how the audit log names a token without holding it): random per process start, or read from
/// `--audit-hmac-key-file` so identities stay comparable across restarts.
public struct AuditTokenIdentifier: Sendable {
    public static let minimumKeyBytes = 32
    private let key: [UInt8]

    public init(key: [UInt8]) { self.key = key }

    /// A fresh random 32-byte key.
    public static func random() throws(OpenSSLError) -> AuditTokenIdentifier {
        AuditTokenIdentifier(key: try SecureRandom.bytes(minimumKeyBytes))
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
            throw ConfigurationError("--audit-hmac-key-file \(path) holds \(bytes.count) bytes; at least \(minimumKeyBytes) are needed "
                                     + "(e.g. openssl rand -hex 32 > \(path))")
        }
        return AuditTokenIdentifier(key: bytes)
    }

    /// `HMAC-SHA256(key, "jti:" + jti)` when a verified jti is given, else
    /// `HMAC-SHA256(key, "token:" + token)`.
    public func identify(token: String, verifiedJTI jti: String?) -> AuditTokenID {
        if let jti, !jti.isEmpty {
            return AuditTokenID(hex: Hex.encode(HMACSHA256.mac(key: key, message: "jti:" + jti)), source: .jti)
        }
        return AuditTokenID(hex: Hex.encode(HMACSHA256.mac(key: key, message: "token:" + token)), source: .token)
    }
}
