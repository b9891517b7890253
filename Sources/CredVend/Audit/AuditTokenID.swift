import Foundation

/// How the audit log names a token without holding it: HMAC-SHA256 under a key the
/// token's holder does not know, of the token's `jti` (a verified token that has one)
/// or of the whole token (no `jti`, or a token that failed verification, whose
/// claims are not to be trusted). Someone with the key can recompute it for a
/// token or jti they already have; nobody can get a token back from it.
public struct AuditTokenID: Sendable, Equatable {
    public enum Source: String, Sendable { case jti, token }

    public let hex: String
    public let source: Source

    public init(hex: String, source: Source) {
        self.hex = hex
        self.source = source
    }
}

/// The HMAC key behind `AuditTokenID`s: random per process start, or read from
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
