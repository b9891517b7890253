public import CredVendCore
import CredVendCrypto
import CredVendHTTP
import CredVendSystem
import Foundation

/// The token a caller of the TES endpoint must send as its `Authorization` header
/// (`--authz-token-file`; the SDKs' `AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]`).
/// Only its SHA-256 is kept, and requests are compared against that in constant time.
public struct TESAuthToken: Sendable {
    private let digest: [UInt8]

    public init(token: String) {
        digest = SHA256.hash(token)
    }

    /// How `loadOrCreate` found the file, for the caller to log.
    public enum Origin: Sendable, Equatable {
        case loaded
        /// The file holds whitespace around the token. It is ignored here, but some SDKs send
        /// the file's bytes as they are (botocore refuses a token with a newline).
        case loadedTrimmed
        /// The file did not exist: a new token was written there.
        case created
    }

    /// The token in `path` (surrounding whitespace ignored). When the file does not exist,
    /// a new random token (32 bytes, hex, no newline) is written there, mode 0600, atomically.
    public static func loadOrCreate(path: String) throws(ConfigurationError) -> (token: TESAuthToken, origin: Origin) {
        if let kind = FileKind(path: path) {
            guard kind != .directory else { throw ConfigurationError("--authz-token-file \(path) is a directory") }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigurationError("--authz-token-file \(path) is not readable (check its permissions)")
            }
            let raw = String(decoding: data, as: UTF8.self)
            let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else {
                throw ConfigurationError(
                    "--authz-token-file \(path) is empty: put a token in it, or remove it to have one generated"
                )
            }
            guard HeaderSyntax.isFieldValue(text), !text.contains("\n"), !text.contains("\r") else {
                throw ConfigurationError(
                    "--authz-token-file \(path) must hold one line of printable characters (it is sent as an HTTP header)"
                )
            }
            return (TESAuthToken(token: text), text == raw ? .loaded : .loadedTrimmed)
        }
        let token: String
        do {
            token = Hex.encode(try SecureRandom.bytes(32))
        } catch {
            throw ConfigurationError("cannot generate an authz token: \(error)")
        }
        do {
            try SecretFile.write(Array(token.utf8), to: path)
        } catch {
            throw ConfigurationError("--authz-token-file: \(error)")
        }
        return (TESAuthToken(token: token), .created)
    }

    /// Whether `header` is the token, compared in constant time (over digests, so
    /// not even the token's length leaks).
    public func accepts(_ header: String) -> Bool {
        ConstantTime.equals(SHA256.hash(header), digest)
    }
}
