/// Why a token was refused. `message` tells the caller what to fix; it never contains the
/// token, any part of it, or any value read from it (not even the `alg` or `kid`).
/// Compared by code only.
public struct JWTError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A struct over a private enum, so a new code is not a breaking change.
    public struct Code: Sendable, Hashable, CaseIterable, CustomStringConvertible {
        fileprivate enum Backing: String, Sendable, Hashable, CaseIterable {
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
        fileprivate let backing: Backing
        fileprivate init(_ backing: Backing) { self.backing = backing }

        public static let malformed = Code(.malformed)
        public static let unsupportedAlgorithm = Code(.unsupportedAlgorithm)
        public static let missingKid = Code(.missingKid)
        public static let critHeader = Code(.critHeader)
        public static let unknownKid = Code(.unknownKid)
        public static let keyMismatch = Code(.keyMismatch)
        public static let badSignature = Code(.badSignature)
        public static let wrongIssuer = Code(.wrongIssuer)
        public static let wrongTokenUse = Code(.wrongTokenUse)
        public static let invalidClaim = Code(.invalidClaim)
        public static let expired = Code(.expired)
        public static let notYetValid = Code(.notYetValid)
        public static let issuedInFuture = Code(.issuedInFuture)
        public static let missingClientId = Code(.missingClientId)
        public static let insufficientScope = Code(.insufficientScope)

        public static var allCases: [Code] { Backing.allCases.map(Code.init) }

        /// A refusal that a later moment can turn into an acceptance (`nbf` or `iat` in
        /// the future); every other refusal stays one while the keys stay.
        public var mayPassLater: Bool {
            switch backing {
            case .notYetValid, .issuedInFuture: true
            case .malformed, .unsupportedAlgorithm, .missingKid, .critHeader, .unknownKid, .keyMismatch, .badSignature,
                .wrongIssuer, .wrongTokenUse, .invalidClaim, .expired, .missingClientId, .insufficientScope:
                false
            }
        }

        public var description: String { backing.rawValue }
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

    public var description: String { "\(code): \(message)" }

    public static func == (a: JWTError, b: JWTError) -> Bool { a.code == b.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
