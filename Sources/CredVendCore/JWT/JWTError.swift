/// Why a token was refused. `message` tells the caller what to fix; it never contains the
/// token, any part of it, or any value read from it (not even the `alg` or `kid`).
public struct JWTError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, CaseIterable {
        // Check 1: shape.
        case malformed
        // Check 2: header.
        case unsupportedAlgorithm, missingKid, critHeader
        // Check 3: key.
        case unknownKid, keyMismatch
        // Check 4: signature.
        case badSignature
        // Check 5: claims.
        case wrongIssuer, wrongTokenUse, invalidClaim, expired, notYetValid, issuedInFuture,
             missingClientId, insufficientScope
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// 403 for a valid token that lacks a required scope; 401 for every other refusal.
    public var httpStatus: Int { code == .insufficientScope ? 403 : 401 }

    /// The OAuth 2.0 bearer-token error code (RFC 6750 section 3.1) for the response.
    public var oauthError: String { code == .insufficientScope ? "insufficient_scope" : "invalid_token" }

    public var description: String { "\(code.rawValue): \(message)" }
}
