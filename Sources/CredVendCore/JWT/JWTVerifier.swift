import CredVendCrypto
public import Foundation

/// What a verified access token says, for role lookup, caching and logs.
public struct VerifiedToken: Sendable, Equatable {
    public let clientId: String
    public let scopes: [String]
    public let exp: Date
    public let iat: Date?
    public let jti: String?
    public let sub: String?
    /// `cnf.x5t#S256`: the client certificate's thumbprint the token is bound to
    /// (RFC 8705), nil for a bearer token.
    public let certificateThumbprint: String?

    package init(
        clientId: String,
        scopes: [String],
        exp: Date,
        iat: Date?,
        jti: String?,
        sub: String?,
        certificateThumbprint: String? = nil
    ) {
        self.clientId = clientId
        self.scopes = scopes
        self.exp = exp
        self.iat = iat
        self.jti = jti
        self.sub = sub
        self.certificateThumbprint = certificateThumbprint
    }
}

/// The token checks of docs/reference.md#token-checks, in that order:
/// 1. compact JWS: three base64url parts, header and payload JSON objects;
/// 2. header: supported `alg`, a `kid`, no `crit` (`jku`, `x5u`, `jwk` are never read);
/// 3. key: the JWKS key with that `kid`, whose type and `alg` fit the header (a key
///    whose `use` is not `sig` never makes it into a `JWKSet`);
/// 4. signature over the raw `header.payload` bytes of the token;
/// 5. claims: `iss`, `token_use`, `exp`, `nbf`, `iat`, `client_id`, `scope`, `cnf`.
/// The payload is parsed as JSON in check 1, but no claim is read before check 4 passes.
/// Pure: the time comes in as `now`, keys as a `JWKSet`; safe to share between threads.
public struct JWTVerifier: Sendable {
    public struct Config: Sendable, Equatable {
        public var issuer: String
        public var clockSkew: TimeInterval
        public var requiredScopes: [String]

        public init(issuer: String, clockSkew: TimeInterval = 60, requiredScopes: [String] = []) {
            self.issuer = issuer
            self.clockSkew = clockSkew
            self.requiredScopes = requiredScopes
        }
    }

    /// Longer tokens are refused before any decoding (the HTTP body limit is 16 KiB).
    public static let maxTokenBytes = 16 * 1024

    public let config: Config

    public init(config: Config) { self.config = config }

    public init(issuer: String, clockSkew: TimeInterval = 60, requiredScopes: [String] = []) {
        self.init(config: Config(issuer: issuer, clockSkew: clockSkew, requiredScopes: requiredScopes))
    }

    public func verify(token: String, keys: JWKSet, now: Date) throws(JWTError) -> VerifiedToken {
        try verify(tokenBytes: Array(token.utf8), keys: keys, now: now)
    }

    public func verify(tokenBytes token: [UInt8], keys: JWKSet, now: Date) throws(JWTError) -> VerifiedToken {
        try verify(tokenSlice: token[...], keys: keys, now: now)
    }

    /// `verify(tokenBytes:)` on a slice (of a request body, say): no copy of the token.
    public func verify(tokenSlice token: ArraySlice<UInt8>, keys: JWKSet, now: Date) throws(JWTError) -> VerifiedToken {
        var memo: JWTHeaderMemo? = nil
        return try verify(tokenSlice: token, keys: keys, now: now, headerMemo: &memo)
    }

    /// The header part is the same for every token of one issuer key, so a caller that
    /// keeps `headerMemo` (one per thread, say) skips re-checking it. Base64url is
    /// canonical here (strict decoding), so equal bytes mean an equal header.
    public func verify(
        tokenSlice token: ArraySlice<UInt8>,
        keys: JWKSet,
        now: Date,
        headerMemo: inout JWTHeaderMemo?
    ) throws(JWTError) -> VerifiedToken {
        // 1. Shape.
        guard token.count <= Self.maxTokenBytes else {
            throw JWTError(.malformed, "token is longer than \(Self.maxTokenBytes) bytes")
        }
        let dot = UInt8(ascii: ".")
        guard let first = token.firstIndex(of: dot),
            let second = token[(first + 1)...].firstIndex(of: dot),
            !token[(second + 1)...].contains(dot)
        else {
            throw JWTError(.malformed, "token is not a compact JWS: expected three base64url parts separated by dots")
        }
        let headerPart = token[..<first]
        let checked: JWTHeaderMemo
        if let memo = headerMemo, memo.part.elementsEqual(headerPart) {
            checked = memo
        } else {
            checked = JWTHeaderMemo(part: Array(headerPart), outcome: Self.checkHeader(headerPart))
            headerMemo = checked
        }
        guard let payloadBytes = Base64URL.decode(bytes: token[(first + 1)..<second]),
            let signature = Base64URL.decode(bytes: token[(second + 1)...])
        else {
            throw JWTError(.malformed, "token part is not unpadded base64url (alphabet A-Z a-z 0-9 - _)")
        }
        if case .failure(let e) = checked.outcome, e.code == .malformed { throw e }
        guard let claims = JSONParser.objectMembers(payloadBytes) else {
            throw JWTError(.malformed, "token payload is not a JSON object")
        }

        // 2. Header. `jku`, `x5u` and `jwk` may be present; they are never looked at.
        let (alg, kid): (SignatureAlgorithm, String)
        switch checked.outcome {
        case .success(let h): (alg, kid) = (h.alg, h.kid)
        case .failure(let e): throw e
        }

        // 3. Key.
        guard let entry = keys[kid] else {
            throw JWTError(.unknownKid, "token kid is not in the issuer's JWKS (keys may have rotated; retry later)")
        }
        guard entry.key.kind.fits(alg) else {
            throw JWTError(
                .keyMismatch,
                "the JWKS key for the token kid is \(entry.key.kind), which does not fit the token alg"
            )
        }
        if let keyAlg = entry.jwk.alg, keyAlg != alg.rawValue {
            throw JWTError(
                .keyMismatch,
                "the JWKS key for the token kid is published for \(keyAlg) only, not the token alg"
            )
        }

        // 4. Signature, over the token's own ASCII bytes.
        guard entry.key.verify(alg, message: token[..<second], signature: signature) else {
            throw JWTError(.badSignature, "token signature does not verify with the issuer's key")
        }

        // 5. Claims.
        return try checkClaims(claims, now: now)
    }

    /// Check 1 for the header part (base64url, a JSON object) and check 2.
    private static func checkHeader(_ part: ArraySlice<UInt8>) -> Result<JWTHeaderMemo.HeaderFields, JWTError> {
        guard let headerBytes = Base64URL.decode(bytes: part) else {
            return .failure(JWTError(.malformed, "token part is not unpadded base64url (alphabet A-Z a-z 0-9 - _)"))
        }
        guard let header = JSONParser.objectMembers(headerBytes) else {
            return .failure(JWTError(.malformed, "token header is not a JSON object"))
        }
        guard let alg = header["alg"]?.stringValue.flatMap(SignatureAlgorithm.init(rawValue:)) else {
            return .failure(
                JWTError(
                    .unsupportedAlgorithm,
                    "token alg is not accepted; sign with one of \(SignatureAlgorithm.acceptedNames)"
                )
            )
        }
        guard let kid = header["kid"]?.stringValue, !kid.isEmpty else {
            return .failure(
                JWTError(.missingKid, "token header has no kid naming the signing key in the issuer's JWKS")
            )
        }
        guard header["crit"] == nil else {
            return .failure(JWTError(.critHeader, "token header has a crit parameter; no JWS extensions are supported"))
        }
        return .success(.init(alg: alg, kid: kid))
    }

    private func checkClaims(_ claims: [String: JSONValue], now: Date) throws(JWTError) -> VerifiedToken {
        guard claims["iss"]?.stringValue == config.issuer else {
            throw JWTError(.wrongIssuer, "token iss is not the configured issuer \(config.issuer)")
        }
        guard claims["token_use"]?.stringValue == "access" else {
            throw JWTError(.wrongTokenUse, "token_use must be \"access\"; ID and refresh tokens are not accepted")
        }
        let nowSeconds = now.timeIntervalSince1970
        let skew = config.clockSkew
        let exp = try time("exp", in: claims, required: true)!
        guard nowSeconds < exp + skew else {
            throw JWTError(.expired, "token expired; get a new access token from the issuer")
        }
        if let nbf = try time("nbf", in: claims, required: false), nbf > nowSeconds + skew {
            throw JWTError(.notYetValid, "token is not valid yet (nbf is in the future); check the issuer's clock")
        }
        let iat = try time("iat", in: claims, required: false)
        if let iat, iat > nowSeconds + skew {
            throw JWTError(.issuedInFuture, "token iat is in the future; check the issuer's clock")
        }
        guard let clientId = claims["client_id"]?.stringValue, !clientId.isEmpty else {
            throw JWTError(
                .missingClientId,
                "token has no client_id; use an access token from the client_credentials flow"
            )
        }
        var scopes: [String] = []
        if let scope = claims["scope"] {
            guard let text = scope.stringValue else {
                throw JWTError(.invalidClaim, "token scope must be a space-separated string")
            }
            scopes = text.split(separator: " ").map(String.init)
        }
        let missing = config.requiredScopes.filter { !scopes.contains($0) }
        guard missing.isEmpty else {
            throw JWTError(.insufficientScope, "token lacks required scope(s): \(missing.joined(separator: " "))")
        }
        let thumbprint = try CertificateConfirmation.thumbprint(claims["cnf"])
        return VerifiedToken(
            clientId: clientId,
            scopes: scopes,
            exp: Date(timeIntervalSince1970: exp),
            iat: iat.map(Date.init(timeIntervalSince1970:)),
            jti: claims["jti"]?.stringValue,
            sub: claims["sub"]?.stringValue,
            certificateThumbprint: thumbprint
        )
    }

    /// A NumericDate claim: a JSON number (integer or fraction), never a string or boolean.
    private func time(_ name: String, in claims: [String: JSONValue], required: Bool) throws(JWTError) -> Double? {
        guard let value = claims[name] else {
            if required { throw JWTError(.invalidClaim, "token has no \(name) claim") }
            return nil
        }
        guard let seconds = value.numberValue, seconds.isFinite else {
            throw JWTError(.invalidClaim, "token \(name) must be a number of seconds since 1970")
        }
        return seconds
    }
}

/// A token header part and what checks 1-2 said about it.
public struct JWTHeaderMemo: Sendable {
    let part: [UInt8]
    let outcome: Result<HeaderFields, JWTError>

    struct HeaderFields: Sendable {
        let alg: SignatureAlgorithm
        let kid: String
    }
}
